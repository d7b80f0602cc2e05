// Package plan decides, without side effects, what a stack operation does to
// each resource: it compares the resources a template asks for with the
// resources the store holds and returns one action per resource (create,
// update in place, replace, delete or none) together with the order the
// engine must respect. Golden files in testdata/ pin its output; run the
// tests with -update to regenerate them.
package plan

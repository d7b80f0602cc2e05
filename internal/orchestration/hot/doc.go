// Package hot parses, validates and evaluates Heat Orchestration Templates
// (HOT) and Heat environments. It is pure: no I/O, no clock, no cloud.
//
// Parse reads a template (YAML or JSON) and checks its structure, its
// parameter schemas and that every intrinsic function exists in the
// template's heat_template_version. Validate checks what needs the whole
// template and the deployment's resource types: references, dependency
// cycles, conditions, types, nested template files and property schemas.
// ResolveParameters and EvalConditions compute a stack's parameter values
// and conditions; Eval evaluates an expression, and References lists the
// resources an expression depends on.
//
// Errors are *Error values with the path of the problem inside the
// template, in Heat's notation, and they unwrap to model.ErrInvalid.
//
// Differences from Heat, on purpose or for simplicity:
//   - Functions that a version does not have yet are errors (Heat would
//     silently treat them as data); functions removed in a version are
//     errors as in Heat.
//   - equals, not, and and or are evaluated anywhere, not only in
//     conditions; join is accepted as an alias of list_join.
//   - A single-key map whose key looks like a function (get_parm, Fn::Sub)
//     is an error naming it, where Heat would keep it as data.
//   - Maps do not keep key order once parsed: repeat takes its for_each
//     variables, and yaql iterates dict keys, in lexicographic order;
//     make_url sorts query parameters.
//   - Eval always uses the newest semantics of a function (list_join with
//     several lists, str_replace serialising maps to JSON, get_attr with an
//     attribute path); older versions only accept a subset of those inputs.
//   - custom_constraint is accepted and not checked: custom constraints
//     look up cloud resources (flavors, images…), which the resource that
//     uses the value checks.
//   - yaql supports the subset of YAQL listed in yaql.go.
//   - CloudFormation templates and the functions Fn::GetAZs and
//     Fn::MemberListToMap are not supported.
package hot

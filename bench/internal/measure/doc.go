// Package measure holds what the benchmarks share to measure and print:
// a process's memory from /proc, and summaries of durations and figures.
package measure

package hot

import (
	"sort"
	"strings"
)

// Versions of HOT, oldest first, with the release names Heat accepts as
// aliases.
var hotVersions = []struct {
	date  string
	alias string
}{
	{"2013-05-23", ""},
	{"2014-10-16", ""},
	{"2015-04-30", ""},
	{"2015-10-15", ""},
	{"2016-04-08", ""},
	{"2016-10-14", "newton"},
	{"2017-02-24", "ocata"},
	{"2017-09-01", "pike"},
	{"2018-03-02", "queens"},
	{"2018-08-31", "rocky"},
	{"2021-04-16", "wallaby"},
}

// versionIndex returns the position of a version (date or release name) in
// hotVersions, or -1.
func versionIndex(v string) int {
	for i, hv := range hotVersions {
		if v == hv.date || (hv.alias != "" && v == hv.alias) {
			return i
		}
	}
	return -1
}

func versionDate(idx int) string { return hotVersions[idx].date }

// knownVersions lists every accepted value, sorted as Heat lists them.
func knownVersions() string {
	var all []string
	for _, hv := range hotVersions {
		all = append(all, hv.date)
		if hv.alias != "" {
			all = append(all, hv.alias)
		}
	}
	sort.Strings(all)
	return strings.Join(all, ", ")
}

// Version indexes for the releases that changed the language.
const (
	v20130523 = iota
	v20141016
	v20150430
	v20151015
	v20160408
	v20161014
	v20170224
	v20170901
	v20180302
	v20180831
	v20210416
)

// fnSpec says when a function entered HOT and, for the CloudFormation-style
// functions, when it left.
type fnSpec struct {
	since   int // first version index that has it
	removed int // first version index that no longer has it, or -1
}

// hotFunctions is the table of Heat's template functions by version, from
// heat/engine/hot/template.py. Functions outside this table are Slipway
// additions that every version accepts (see slipwayFunctions).
var hotFunctions = map[string]fnSpec{
	"get_param":           {v20130523, -1},
	"get_resource":        {v20130523, -1},
	"get_attr":            {v20130523, -1},
	"get_file":            {v20130523, -1},
	"list_join":           {v20130523, -1},
	"str_replace":         {v20130523, -1},
	"resource_facade":     {v20130523, -1},
	"repeat":              {v20150430, -1},
	"digest":              {v20150430, -1},
	"str_split":           {v20151015, -1},
	"map_merge":           {v20160408, -1},
	"yaql":                {v20161014, -1},
	"map_replace":         {v20161014, -1},
	"if":                  {v20161014, -1},
	"filter":              {v20170224, -1},
	"str_replace_strict":  {v20170224, -1},
	"make_url":            {v20170901, -1},
	"list_concat":         {v20170901, -1},
	"list_concat_unique":  {v20170901, -1},
	"str_replace_vstrict": {v20170901, -1},
	"contains":            {v20170901, -1},

	"Fn::Select":          {v20130523, v20151015},
	"Fn::GetAZs":          {v20130523, v20141016},
	"Fn::Join":            {v20130523, v20141016},
	"Fn::Split":           {v20130523, v20141016},
	"Fn::Replace":         {v20130523, v20141016},
	"Fn::Base64":          {v20130523, v20141016},
	"Fn::MemberListToMap": {v20130523, v20141016},
	"Fn::ResourceFacade":  {v20130523, v20141016},
	"Ref":                 {v20130523, v20141016},
}

// conditionFunctions are the functions allowed inside condition
// definitions, by the version that introduced them there.
var conditionFunctions = map[string]int{
	"get_param": v20161014,
	"equals":    v20161014,
	"not":       v20161014,
	"and":       v20161014,
	"or":        v20161014,
	"yaql":      v20170901,
	"contains":  v20170901,
}

// slipwayFunctions are accepted in every version although Heat does not
// define them as template functions:
//   - equals, not, and, or: Heat only knows them inside conditions; Slipway
//     evaluates them anywhere.
//   - join: an alias of list_join.
//   - get_input: data for software configurations, resolved by Eval only
//     when EvalContext.Inputs is set.
var slipwayFunctions = map[string]bool{
	"equals":    true,
	"not":       true,
	"and":       true,
	"or":        true,
	"join":      true,
	"get_input": true,
}

// isFunctionName reports whether name is any function Slipway knows.
func isFunctionName(name string) bool {
	_, ok := hotFunctions[name]
	return ok || slipwayFunctions[name]
}

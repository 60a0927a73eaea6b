package metricstest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Names returns the metric names a PromQL expression reads, sorted and
// without duplicates: every selector's name, and the value of a
// __name__="..." matcher. Functions, aggregations, keywords, label names and
// values, durations and Grafana variables ($__rate_interval, ${pool}) are not
// names. It is a lexer, not a parser: it does not prove the expression
// valid, only finds what it reads, and it errors where a bracket or a string
// is left open or a name is a regular expression it cannot check.
func Names(expr string) ([]string, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	if err := balanced(toks); err != nil {
		return nil, err
	}
	var names []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.is("{"):
			end := closing(toks, i)
			name, err := matcherName(toks[i+1 : end])
			if err != nil {
				return nil, err
			}
			if name != "" {
				names = append(names, name)
			}
			i = end
		case t.is("["):
			i = closing(toks, i)
		case t.kind == ident:
			next := token{}
			if i+1 < len(toks) {
				next = toks[i+1]
			}
			switch {
			case grouping[t.text]:
				// by (le), on (pool): label names.
				if next.is("(") {
					i = closing(toks, i+1)
				}
			case keywords[strings.ToLower(t.text)]:
			case next.is("("):
				// A function or an aggregation.
			default:
				names = append(names, t.text)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// grouping keywords are followed by a list of label names.
var grouping = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// keywords are identifiers that are not metric names even where no "("
// follows: operators, modifiers, numbers, and the aggregations, which may be
// followed by "by" or "without" (compared in lower case: PromQL reads Inf
// and NaN in any case).
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// matcherName returns the name a __name__="..." matcher among the label
// matchers gives, or "".
func matcherName(toks []token) (string, error) {
	var name string
	for i, t := range toks {
		if t.kind != ident || t.text != "__name__" {
			continue
		}
		if i+2 < len(toks) && toks[i+1].is("=") && toks[i+2].kind == str {
			name = toks[i+2].text
			continue
		}
		return "", errNameMatcher
	}
	return name, nil
}

var pairs = map[string]string{"(": ")", "[": "]", "{": "}"}

// balanced checks that every bracket is closed, by its own kind.
func balanced(toks []token) error {
	var open []token
	for _, t := range toks {
		if t.kind != punct {
			continue
		}
		if _, ok := pairs[t.text]; ok {
			open = append(open, t)
			continue
		}
		if t.text == ")" || t.text == "]" || t.text == "}" {
			if len(open) == 0 || pairs[open[len(open)-1].text] != t.text {
				return fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		last := open[len(open)-1]
		return fmt.Errorf("%q at offset %d is never closed", last.text, last.pos)
	}
	return nil
}

// closing returns the index of the bracket that closes toks[open]; the
// brackets are balanced.
func closing(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch t := toks[i]; {
		case t.kind != punct:
		case pairs[t.text] != "":
			depth++
		case t.text == ")" || t.text == "]" || t.text == "}":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(toks) - 1
}

type kind int

const (
	punct kind = iota
	ident
	str
	number
	variable
)

type token struct {
	kind kind
	text string // a string's text is its value, without quotes
	pos  int
}

func (t token) is(p string) bool { return t.kind == punct && t.text == p }

var (
	errUnterminated = errors.New("unterminated string")
	errNameMatcher  = errors.New(`only __name__="name" can be checked, not a regular expression or a negation`)
)

// lex splits a PromQL expression into tokens.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && c != '`' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("%w at offset %d", errUnterminated, start)
			}
			i++
			toks = append(toks, token{str, b.String(), start})
		case c == '$':
			// A Grafana variable: $name, ${name} or ${name:format}.
			i++
			if i < len(s) && s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("variable at offset %d is never closed", start)
				}
				i += end + 1
			} else {
				for i < len(s) && isNameChar(s[i], false) {
					i++
				}
			}
			toks = append(toks, token{variable, s[start:i], start})
		case isNameChar(c, true):
			for i < len(s) && isNameChar(s[i], false) {
				i++
			}
			toks = append(toks, token{ident, s[start:i], start})
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// Numbers and durations: 0.99, 1e-3, 0x1f, 5m, 1h30m.
			for i < len(s) && (isNameChar(s[i], false) || s[i] == '.') {
				if (s[i] == 'e' || s[i] == 'E') && i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-') &&
					!strings.ContainsAny(s[start:i], "xX") {
					i++
				}
				i++
			}
			toks = append(toks, token{number, s[start:i], start})
		default:
			i++
			toks = append(toks, token{punct, string(c), start})
		}
	}
	return toks, nil
}

// isNameChar reports whether c may appear in a metric name, and, with
// first, whether it may start one.
func isNameChar(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

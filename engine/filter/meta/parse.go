package meta

import (
	"fmt"
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNum
	tString
	tOp // == != < <= > >=
	tDot
	tColon
	tTilde
	tLParen
	tRParen
	tAnd
	tOr
	tNot
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return fmt.Sprintf("%q", t.text)
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
			continue
		case isIdentStart(c):
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			word := s[start:i]
			kind := tIdent
			switch word {
			case "and":
				kind = tAnd
			case "or":
				kind = tOr
			case "not":
				kind = tNot
			}
			toks = append(toks, token{kind, word, start})
			continue
		case isDigit(c) || (c == '-' && i+1 < len(s) && isDigit(s[i+1])):
			i++
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			toks = append(toks, token{tNum, s[start:i], start})
			continue
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, &Error{Expr: s, Pos: start, Msg: "unterminated string"}
			}
			toks = append(toks, token{tString, s[i+1 : i+1+end], start})
			i += end + 2
			continue
		}
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch {
		case two == "==" || two == "!=" || two == "<=" || two == ">=":
			toks = append(toks, token{tOp, two, start})
			i += 2
		case two == "&&":
			toks = append(toks, token{tAnd, two, start})
			i += 2
		case two == "||":
			toks = append(toks, token{tOr, two, start})
			i += 2
		case c == '<' || c == '>':
			toks = append(toks, token{tOp, string(c), start})
			i++
		case c == '!':
			toks = append(toks, token{tNot, "!", start})
			i++
		case c == '.':
			toks = append(toks, token{tDot, ".", start})
			i++
		case c == ':':
			toks = append(toks, token{tColon, ":", start})
			i++
		case c == '~':
			toks = append(toks, token{tTilde, "~", start})
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", start})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", start})
			i++
		case c == '=':
			return nil, &Error{Expr: s, Pos: start, Msg: `"=" is not an operator: compare with "=="`}
		default:
			return nil, &Error{Expr: s, Pos: start, Msg: fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{tEOF, "", len(s)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

// Syntax tree.
type (
	node interface{ isNode() }

	logical struct {
		and  bool
		l, r node
	}
	negation struct{ x node }
	// comparison is path [op value]; op is "" for a field alone.
	comparison struct {
		path []segment
		op   string
		opAt int
		val  *literal
	}
	segment struct {
		name    string
		pos     int
		hasMask bool
		mask    uint64
		cast    string
		castPos int
	}
	literal struct {
		kind tokKind // tNum, tString or tIdent (an enumerator)
		text string
		pos  int
		// Numbers: magnitude and sign.
		mag uint64
		neg bool
	}
)

func (*logical) isNode()    {}
func (*negation) isNode()   {}
func (*comparison) isNode() {}

type parser struct {
	expr string
	toks []token
	i    int
}

func parse(expr string) (node, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t.pos, "unexpected %s after a complete condition: combine conditions with and/or", t)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) errAt(pos int, format string, args ...any) error {
	return &Error{Expr: p.expr, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &logical{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &logical{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	switch t := p.peek(); t.kind {
	case tNot:
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &negation{x}, nil
	case tLParen:
		p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c.pos, "expected \")\" to close the \"(\" at offset %d, got %s", t.pos, c)
		}
		return x, nil
	case tIdent:
		return p.comparison()
	default:
		return nil, p.errAt(t.pos, "expected a field such as sk_buff.mark, got %s", t)
	}
}

func (p *parser) comparison() (node, error) {
	c := &comparison{}
	root := p.next()
	c.path = append(c.path, segment{name: root.text, pos: root.pos})
	for p.peek().kind == tDot {
		p.next()
		t := p.next()
		if t.kind != tIdent {
			return nil, p.errAt(t.pos, "expected a member name after \".\", got %s", t)
		}
		seg := segment{name: t.text, pos: t.pos}
		if p.peek().kind == tColon {
			p.next()
			mask, err := p.mask()
			if err != nil {
				return nil, err
			}
			seg.hasMask, seg.mask = true, mask
			if p.peek().kind == tColon {
				p.next()
				ct := p.next()
				if ct.kind != tIdent {
					return nil, p.errAt(ct.pos, "expected a type name to cast %s to, got %s", seg.name, ct)
				}
				seg.cast, seg.castPos = ct.text, ct.pos
			}
		}
		c.path = append(c.path, seg)
	}
	if p.peek().kind != tOp {
		return c, nil
	}
	op := p.next()
	c.op, c.opAt = op.text, op.pos
	v := p.next()
	lit := &literal{kind: v.kind, text: v.text, pos: v.pos}
	switch v.kind {
	case tNum:
		var err error
		if lit.mag, lit.neg, err = parseNumber(v.text); err != nil {
			return nil, p.errAt(v.pos, "%v", err)
		}
	case tString:
		if strings.IndexByte(v.text, 0) >= 0 {
			return nil, p.errAt(v.pos, "strings cannot hold NUL bytes")
		}
	case tIdent:
	default:
		return nil, p.errAt(v.pos, "expected a number, a quoted string or an enumerator after %s, got %s", op.text, v)
	}
	c.val = lit
	return c, nil
}

// mask parses [~]NUMBER; the result must not be zero.
func (p *parser) mask() (uint64, error) {
	not := false
	start := p.peek().pos
	if p.peek().kind == tTilde {
		p.next()
		not = true
	}
	t := p.next()
	if t.kind != tNum {
		return 0, p.errAt(t.pos, "expected a mask (e.g. 0xff or ~0x7), got %s", t)
	}
	m, neg, err := parseNumber(t.text)
	if err != nil {
		return 0, p.errAt(t.pos, "%v", err)
	}
	if neg {
		return 0, p.errAt(t.pos, "a mask cannot be negative: use ~ for a complement")
	}
	if not {
		m = ^m
	}
	if m == 0 {
		return 0, p.errAt(start, "mask %s keeps no bit", p.expr[start:t.pos+len(t.text)])
	}
	return m, nil
}

// parseNumber reads a decimal (optionally negative), 0x hexadecimal or 0b
// binary number.
func parseNumber(s string) (uint64, bool, error) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	base := 10
	switch {
	case strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X"):
		base, body = 16, body[2:]
	case strings.HasPrefix(body, "0b") || strings.HasPrefix(body, "0B"):
		base, body = 2, body[2:]
	}
	if neg && base != 10 {
		return 0, false, fmt.Errorf("%s: only decimal numbers take a sign", s)
	}
	v, err := strconv.ParseUint(body, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, false, fmt.Errorf("%s does not fit in 64 bits", s)
		}
		return 0, false, fmt.Errorf("%s is not a number (decimal, 0x hex or 0b binary)", s)
	}
	if neg && v > 1<<63 {
		return 0, false, fmt.Errorf("%s does not fit in 64 bits", s)
	}
	return v, neg && v != 0, nil
}

// Package report turns nswasi result directories (results.json and
// isolation.json) into figures (SVG and PNG), a Markdown report and one
// self-contained HTML page, and compares two result directories with a
// significance test on the raw repetitions.
//
// The report is built once as a list of blocks (headings, paragraphs,
// tables, figures) and rendered twice, so the Markdown and the HTML say
// exactly the same thing. Every number in the text is computed from the
// loaded results; nothing is typed in.
package report

import (
	"fmt"
	"html"
	"strings"
)

type blockKind int

const (
	heading blockKind = iota
	paragraph
	warning // a paragraph that must stand out: partial results
	bullets
	table
	figureRef
)

type block struct {
	kind  blockKind
	level int      // heading
	text  string   // heading, paragraph, warning
	items []string // bullets
	head  []string // table
	rows  [][]string
	fig   *Figure
}

type document struct{ blocks []block }

func (d *document) h(level int, format string, a ...any) {
	d.blocks = append(d.blocks, block{kind: heading, level: level, text: fmt.Sprintf(format, a...)})
}
func (d *document) p(format string, a ...any) {
	d.blocks = append(d.blocks, block{kind: paragraph, text: fmt.Sprintf(format, a...)})
}
func (d *document) warn(format string, a ...any) {
	d.blocks = append(d.blocks, block{kind: warning, text: fmt.Sprintf(format, a...)})
}
func (d *document) list(items []string) {
	if len(items) > 0 {
		d.blocks = append(d.blocks, block{kind: bullets, items: items})
	}
}
func (d *document) table(head []string, rows [][]string) {
	if len(rows) > 0 {
		d.blocks = append(d.blocks, block{kind: table, head: head, rows: rows})
	}
}
func (d *document) figure(f *Figure) { d.blocks = append(d.blocks, block{kind: figureRef, fig: f}) }

// markdown renders GitHub-flavoured Markdown; figures are referenced as
// plots/NAME.svg (SVG scales on GitHub and in most Markdown viewers).
func (d *document) markdown() string {
	var b strings.Builder
	for _, bl := range d.blocks {
		switch bl.kind {
		case heading:
			fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", bl.level), mdEscape(bl.text))
		case paragraph:
			fmt.Fprintf(&b, "%s\n\n", mdEscape(bl.text))
		case warning:
			fmt.Fprintf(&b, "> **⚠ %s**\n\n", mdEscape(bl.text))
		case bullets:
			for _, it := range bl.items {
				fmt.Fprintf(&b, "- %s\n", mdEscape(it))
			}
			b.WriteString("\n")
		case table:
			row := func(cells []string) {
				esc := make([]string, len(cells))
				for i, c := range cells {
					esc[i] = strings.ReplaceAll(mdEscape(c), "|", `\|`)
				}
				fmt.Fprintf(&b, "| %s |\n", strings.Join(esc, " | "))
			}
			row(bl.head)
			fmt.Fprintf(&b, "|%s\n", strings.Repeat(" --- |", len(bl.head)))
			for _, r := range bl.rows {
				row(r)
			}
			b.WriteString("\n")
		case figureRef:
			fmt.Fprintf(&b, "![%s](plots/%s.svg)\n\n*%s* (PNG: [plots/%s.png](plots/%s.png))\n\n",
				mdEscape(bl.fig.Title), bl.fig.Name, mdEscape(bl.fig.Caption), bl.fig.Name, bl.fig.Name)
		}
	}
	return b.String()
}

// mdEscape keeps text from being read as Markdown markup.
func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "#", `\#`)
	return r.Replace(s)
}

const pageStyle = `body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#111;line-height:1.45}
h1{font-size:1.8em}h2{border-bottom:1px solid #bbb;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eee}tr:nth-child(even) td{background:#f7f7f7}
figure{margin:1.5em 0;page-break-inside:avoid;break-inside:avoid}figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.95em;color:#333;margin-top:.4em}
.warning{border:3px solid #D55E00;background:#fff3e8;padding:.6em 1em;font-weight:bold}
@media print{body{max-width:none;margin:0}h2{page-break-before:auto}a{color:inherit}}`

// html renders one self-contained page: styles inline in <style>, figures
// inline as SVG, no scripts, fonts, links or images from anywhere else.
func (d *document) html(title string, svgs map[string][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n",
		html.EscapeString(title), pageStyle)
	for _, bl := range d.blocks {
		switch bl.kind {
		case heading:
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", bl.level, html.EscapeString(bl.text), bl.level)
		case paragraph:
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(bl.text))
		case warning:
			fmt.Fprintf(&b, "<p class=\"warning\">⚠ %s</p>\n", html.EscapeString(bl.text))
		case bullets:
			b.WriteString("<ul>\n")
			for _, it := range bl.items {
				fmt.Fprintf(&b, "<li>%s</li>\n", html.EscapeString(it))
			}
			b.WriteString("</ul>\n")
		case table:
			b.WriteString("<table>\n<thead><tr>")
			for _, c := range bl.head {
				fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(c))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for _, r := range bl.rows {
				b.WriteString("<tr>")
				for _, c := range r {
					fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		case figureRef:
			fmt.Fprintf(&b, "<figure id=\"fig-%s\">\n%s\n<figcaption>%s</figcaption>\n</figure>\n",
				bl.fig.Name, inlineSVG(svgs[bl.fig.Name]), html.EscapeString(bl.fig.Caption))
		}
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// inlineSVG drops the XML declaration and comment, which do not belong
// inside an HTML document.
func inlineSVG(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return strings.Replace(s, "<svg ", `<svg role="img" `, 1)
}

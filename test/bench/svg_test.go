package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// figuresEnv names the directory the benchmarks draw their figures into
// (hack/bench.sh sets docs/img); unset, they draw nothing.
const figuresEnv = "FIG_INJECTOR_BENCH_FIGURES"

// chart is a line chart, drawn as SVG with the standard library only (no
// plotting dependency for a few figures).
type chart struct {
	title, xLabel, yLabel string
	logX                  bool // decades on x (latencies from milliseconds to a minute)
	series                []series
	refs                  []ref // horizontal reference lines
}

type series struct {
	name   string
	xs, ys []float64
}

type ref struct {
	y     float64
	label string
}

const (
	svgW, svgH                      = 720, 420
	padL, padR, padT, padB          = 70, 20, 90, 50 // the legend sits between the title and the plot
	plotW, plotH                    = svgW - padL - padR, svgH - padT - padB
	svgFont                         = `font-family="sans-serif" font-size="12"`
	minLogX, maxLogXDecades float64 = 1e-3, 6 // log axes start at 1 ms and span at most 6 decades
)

var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e"}

// svg draws the chart.
func (c chart) svg() []byte {
	x0, x1, y1 := c.bounds()
	tx := func(x float64) float64 {
		if c.logX {
			return padL + plotW*(math.Log10(x)-math.Log10(x0))/(math.Log10(x1)-math.Log10(x0))
		}
		return padL + plotW*(x-x0)/(x1-x0)
	}
	ty := func(y float64) float64 { return padT + plotH*(1-y/y1) }
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`+"\n", svgW, svgH, svgW, svgH, svgFont)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padL, esc(c.title))
	for _, t := range c.xTicks(x0, x1) {
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			tx(t), padT, tx(t), padT+plotH, tx(t), padT+plotH+16, esc(tickLabel(t)))
	}
	for _, t := range niceTicks(y1) {
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			padL, ty(t), padL+plotW, ty(t), padL-6, ty(t)+4, esc(tickLabel(t)))
	}
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", padL, padT, plotW, plotH)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", padL+plotW/2, svgH-10, esc(c.xLabel))
	p(`<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", padT+plotH/2, esc(c.yLabel))
	for _, r := range c.refs {
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#555" stroke-dasharray="6 4"/><text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n",
			padL, ty(r.y), padL+plotW, ty(r.y), padL+plotW-4, ty(r.y)-4, esc(r.label))
	}
	for i, s := range c.series {
		color := palette[i%len(palette)]
		var pts []string
		for j := range s.xs {
			if c.logX && s.xs[j] <= 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", tx(max(s.xs[j], x0)), ty(s.ys[j])))
		}
		p(`<polyline data-series="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", esc(s.name), color, strings.Join(pts, " "))
		ly := 44 + 18*i
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/><text x="%d" y="%d">%s</text>`+"\n",
			padL+10, ly, padL+34, ly, color, padL+40, ly+4, esc(s.name))
	}
	p("</svg>\n")
	return b.Bytes()
}

// bounds returns the x range and the top of the y range (y starts at 0).
func (c chart) bounds() (x0, x1, y1 float64) {
	x0, x1 = math.Inf(1), math.Inf(-1)
	for _, s := range c.series {
		for i, x := range s.xs {
			if c.logX && x <= 0 {
				continue
			}
			x0, x1, y1 = min(x0, x), max(x1, x), max(y1, s.ys[i])
		}
	}
	for _, r := range c.refs {
		y1 = max(y1, r.y)
	}
	if c.logX { // whole decades
		x1 = math.Pow(10, math.Ceil(math.Log10(x1)))
		x0 = max(math.Pow(10, math.Floor(math.Log10(x0))), minLogX, x1/math.Pow(10, maxLogXDecades))
	}
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 <= 0 {
		y1 = 1
	}
	return x0, x1, y1 * 1.08
}

func (c chart) xTicks(x0, x1 float64) []float64 {
	if !c.logX {
		return niceTicks(x1)
	}
	var out []float64
	for t := x0; t <= x1*1.0001; t *= 10 {
		out = append(out, t)
	}
	return out
}

// niceTicks returns 0 and multiples of 1, 2 or 5 × 10ⁿ up to top, about
// five of them.
func niceTicks(top float64) []float64 {
	step := math.Pow(10, math.Floor(math.Log10(top/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if top/(step*m) <= 6 {
			step *= m
			break
		}
	}
	var out []float64
	for t := 0.0; t <= top; t += step {
		out = append(out, t)
	}
	return out
}

func tickLabel(v float64) string {
	if v != 0 && math.Abs(v) < 1 {
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func esc(s string) string { return html.EscapeString(s) }

// saveFigure writes svg as <name>.svg into the figures directory, when
// hack/bench.sh asked for figures.
func saveFigure(tb testing.TB, name string, svg []byte) {
	tb.Helper()
	dir := os.Getenv(figuresEnv)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".svg"), svg, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// cdf returns the empirical distribution of samples: x sorted, y the share
// (in percent) at or below it.
func cdf(name string, samples []float64) series {
	s := series{name: name, xs: append([]float64(nil), samples...)}
	slices.Sort(s.xs)
	for i := range s.xs {
		s.ys = append(s.ys, 100*float64(i+1)/float64(len(s.xs)))
	}
	return s
}

// TestChartSVG: a chart is well-formed XML (as a browser and GitHub parse
// it), names every series once in its legend and draws each as a polyline
// with one point per sample, log axes included; text is escaped.
func TestChartSVG(t *testing.T) {
	for _, logX := range []bool{false, true} {
		c := chart{title: "a <title> & more", xLabel: "x", yLabel: "y", logX: logX, refs: []ref{{4000, "limit"}},
			series: []series{{name: "per-pod polling", xs: []float64{0.01, 10, 20}, ys: []float64{1, 3000, 200}},
				cdf("relay", []float64{0.05, 0.02, 0.03})}}
		svg := c.svg()
		dec := xml.NewDecoder(bytes.NewReader(svg))
		points := map[string]int{}
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("logX %v: not XML: %v\n%s", logX, err, svg)
			}
			if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
				var name, pts string
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "data-series":
						name = a.Value
					case "points":
						pts = a.Value
					}
				}
				points[name] = len(strings.Fields(pts))
			}
		}
		if points["per-pod polling"] != 3 || points["relay"] != 3 {
			t.Errorf("logX %v: polylines %v, want both series with 3 points", logX, points)
		}
		for _, want := range []string{">per-pod polling</text>", ">relay</text>", ">limit</text>", "a &lt;title&gt; &amp; more"} {
			if bytes.Count(svg, []byte(want)) != 1 {
				t.Errorf("logX %v: %q appears %d times, want once", logX, want, bytes.Count(svg, []byte(want)))
			}
		}
	}
	if got := cdf("x", []float64{3, 1, 2}); fmt.Sprint(got.xs, got.ys) != "[1 2 3] [33.333333333333336 66.66666666666667 100]" {
		t.Errorf("cdf: %v %v", got.xs, got.ys)
	}
}

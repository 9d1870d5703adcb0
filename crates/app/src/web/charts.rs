//! Charts drawn on the server as inline SVG for the admin dashboard: a grouped bar chart and
//! a line chart over labelled points, with a value axis on round numbers and a legend.
//!
//! No script and no `style` attribute (the CSP allows neither): colours and sizes are SVG
//! presentation attributes, the rest is `.chart` in `static/app.css`. Every piece of text
//! is escaped here, so callers may pass user-supplied labels (style names, e-mail
//! addresses). Each chart carries `role="img"`, an `aria-label`, `<title>` and `<desc>`;
//! pages put the same numbers in a table beside it for screen readers and for copying.

use std::fmt::Write;

/// One named row of values, one per label.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// What to draw: labels along the x axis, one or more series of values over them.
pub struct Chart<'a> {
    pub title: &'a str,
    pub desc: &'a str,
    /// Shown instead of the plot when there is nothing to draw.
    pub empty: &'a str,
    pub labels: &'a [String],
    pub series: &'a [Series],
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 56.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;
/// Colour-blind-safe hues (Okabe–Ito) with enough contrast on white.
const COLORS: [&str; 4] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"];
/// At most this many x labels are written; the others are skipped evenly.
const MAX_X_LABELS: usize = 8;

/// Bars side by side for each label, one per series.
pub fn bar_chart(chart: &Chart) -> String {
    draw(chart, |svg, scale, band| {
        let count = chart.series.len() as f64;
        let bar = band * 0.8 / count;
        for (s, series) in chart.series.iter().enumerate() {
            for (i, value) in series.values.iter().enumerate() {
                let height = scale.height(*value);
                let x = LEFT + band * i as f64 + band * 0.1 + bar * s as f64;
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{height:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    TOP + PLOT_H - height,
                    COLORS[s % COLORS.len()],
                    escape(&chart.labels[i]),
                    number(*value),
                );
            }
        }
    })
}

/// A line per series through the labels' points, each point marked.
pub fn line_chart(chart: &Chart) -> String {
    draw(chart, |svg, scale, band| {
        for (s, series) in chart.series.iter().enumerate() {
            let color = COLORS[s % COLORS.len()];
            let points: Vec<(f64, f64)> = series
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        LEFT + band * (i as f64 + 0.5),
                        TOP + PLOT_H - scale.height(*v),
                    )
                })
                .collect();
            let path: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for ((x, y), (i, value)) in points.iter().zip(series.values.iter().enumerate()) {
                let _ = write!(
                    svg,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"><title>{}: {}</title></circle>"#,
                    escape(&chart.labels[i]),
                    number(*value),
                );
            }
        }
    })
}

/// The frame common to both kinds: title, axes, grid, x labels and legend around `plot`,
/// which gets the value scale and the width of one label's band.
fn draw(chart: &Chart, plot: impl FnOnce(&mut String, &Scale, f64)) -> String {
    let title = escape(chart.title);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}"><title>{title}</title><desc>{}</desc>"#,
        escape(chart.desc)
    );
    let rows = chart.labels.len();
    let drawable =
        rows > 0 && !chart.series.is_empty() && chart.series.iter().all(|s| s.values.len() == rows);
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let whole = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter())
        .all(|v| v.fract() == 0.0);
    let scale = Scale::for_max(if drawable { max } else { 0.0 });
    // Counts never sit between whole numbers: no axis line at 0.5 sign-ups.
    let scale = if whole && scale.step < 1.0 {
        Scale {
            top: max.ceil().max(1.0),
            step: 1.0,
        }
    } else {
        scale
    };
    for tick in scale.ticks() {
        let y = TOP + PLOT_H - scale.height(tick);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d0d0"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="15" fill="#333">{}</text>"##,
            LEFT + PLOT_W,
            LEFT - 6.0,
            y + 4.0,
            number(tick)
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="#333"/>"##,
        TOP + PLOT_H
    );
    if !drawable {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14" fill="#333">{}</text></svg>"##,
            LEFT + PLOT_W / 2.0,
            TOP + PLOT_H / 2.0,
            escape(chart.empty)
        );
        return svg;
    }
    let band = PLOT_W / rows as f64;
    plot(&mut svg, &scale, band);
    let every = rows.div_ceil(MAX_X_LABELS);
    for (i, label) in chart.labels.iter().enumerate().step_by(every) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="15" fill="#333">{}</text>"##,
            LEFT + band * (i as f64 + 0.5),
            TOP + PLOT_H + 19.0,
            escape(label)
        );
    }
    for (s, series) in chart.series.iter().enumerate() {
        let x = LEFT + 150.0 * s as f64;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="15" fill="#333">{}</text>"##,
            HEIGHT - 19.0,
            COLORS[s % COLORS.len()],
            x + 16.0,
            HEIGHT - 8.0,
            escape(&series.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The value axis: from zero to `top`, a whole number of round `step`s (1, 2 or 5 times a
/// power of ten) covering the largest value. Values below zero are drawn at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scale {
    pub top: f64,
    pub step: f64,
}

impl Scale {
    pub(crate) fn for_max(max: f64) -> Scale {
        if !max.is_finite() || max <= 0.0 {
            return Scale {
                top: 1.0,
                step: 1.0,
            };
        }
        let rough = max / 4.0;
        let power = 10_f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|s| *s >= rough * (1.0 - 1e-9))
            .unwrap_or(10.0 * power);
        let steps = (max / step - 1e-9).ceil().max(1.0);
        Scale {
            top: steps * step,
            step,
        }
    }

    fn height(&self, value: f64) -> f64 {
        if !value.is_finite() {
            return 0.0;
        }
        value.clamp(0.0, self.top) / self.top * PLOT_H
    }

    fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let steps = (self.top / self.step).round() as u32;
        (0..=steps).map(move |i| f64::from(i) * self.step)
    }
}

/// A value as the axis and tooltips write it: whole numbers plainly, others to two places
/// without trailing zeros.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Text safe inside SVG elements and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;

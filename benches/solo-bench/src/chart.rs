//! The echo chart in `BENCHMARKS.md`: an SVG with two panels, client+worker CPU per activity and
//! p99 latency, one bar per SDK in each concurrency group.
//!
//! Written by hand (a few dozen elements) rather than through a plotting crate: the chart needs
//! rectangles, lines and text, and a plotting library would add a font stack to the build.

use std::fmt::Write as _;

/// One bar: the SDK, the concurrency and the value (`None`: not measured, no bar).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    pub(crate) sdk: String,
    pub(crate) concurrency: usize,
    pub(crate) value: Option<f64>,
}

/// One panel: a title, the unit of its axis and its bars.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) unit: String,
    pub(crate) bars: Vec<Bar>,
}

/// Colours per SDK position (raw first, then solo, then peers), distinguishable in print.
const COLOURS: &[&str] = &[
    "#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
];

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 300.0;
const MARGIN_L: f64 = 60.0;
const MARGIN_T: f64 = 40.0;
const MARGIN_B: f64 = 40.0;
const LEGEND_H: f64 = 30.0;

/// A round step for about five grid lines up to `max`.
fn tick_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let normalised = rough / magnitude;
    let nice = if normalised <= 1.0 {
        1.0
    } else if normalised <= 2.0 {
        2.0
    } else if normalised <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// A value label with about three significant digits.
fn label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A grid line's label, with as many decimals as the step needs (0, 0.2, 0.4 …; 0, 50, 100 …).
fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn panel(out: &mut String, x0: f64, p: &Panel, sdks: &[String], groups: &[usize]) {
    let plot_w = PANEL_W - MARGIN_L - 20.0;
    let plot_h = PANEL_H - MARGIN_T - MARGIN_B;
    let max = p
        .bars
        .iter()
        .filter_map(|b| b.value)
        .fold(0.0_f64, f64::max);
    let step = tick_step(max);
    let top = (max / step).ceil().max(1.0) * step;
    let y = |v: f64| MARGIN_T + plot_h * (1.0 - v / top);
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="22" font-size="14" font-weight="bold" text-anchor="middle">{}</text>"#,
        x0 + MARGIN_L + plot_w / 2.0,
        escape(&p.title)
    );
    let mut tick = 0.0;
    while tick <= top + step / 2.0 {
        let _ = writeln!(
            out,
            r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
            x0 + MARGIN_L,
            x0 + MARGIN_L + plot_w,
            y(tick),
            y(tick),
            x0 + MARGIN_L - 4.0,
            y(tick) + 3.0,
            tick_label(tick, step)
        );
        tick += step;
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})">{}</text>"#,
        x0 + 14.0,
        MARGIN_T + plot_h / 2.0,
        x0 + 14.0,
        MARGIN_T + plot_h / 2.0,
        escape(&p.unit)
    );
    let group_w = plot_w / groups.len().max(1) as f64;
    let bar_w = (group_w * 0.8) / sdks.len().max(1) as f64;
    for (gi, &c) in groups.iter().enumerate() {
        let gx = x0 + MARGIN_L + group_w * gi as f64 + group_w * 0.1;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">C = {c}</text>"#,
            gx + group_w * 0.4,
            MARGIN_T + plot_h + 16.0
        );
        for (si, sdk) in sdks.iter().enumerate() {
            let value = p
                .bars
                .iter()
                .find(|b| b.concurrency == c && &b.sdk == sdk)
                .and_then(|b| b.value);
            let Some(v) = value else { continue };
            let bx = gx + bar_w * si as f64;
            let _ = writeln!(
                out,
                r#"<rect x="{bx:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} C={c}: {} {}</title></rect>"#,
                y(v),
                (bar_w - 2.0).max(1.0),
                (MARGIN_T + plot_h - y(v)).max(0.0),
                COLOURS[si % COLOURS.len()],
                escape(sdk),
                label(v),
                escape(&p.unit)
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                bx + bar_w / 2.0 - 1.0,
                y(v) - 3.0,
                label(v)
            );
        }
    }
    let _ = writeln!(
        out,
        r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        x0 + MARGIN_L,
        x0 + MARGIN_L + plot_w,
        MARGIN_T + plot_h,
        MARGIN_T + plot_h
    );
}

/// The SVG document for `panels`, side by side, with a legend of `sdks` (in bar order) below.
/// Concurrency groups are those that have at least one value, in ascending order.
pub(crate) fn svg(panels: &[Panel], sdks: &[String]) -> String {
    let mut groups: Vec<usize> = panels
        .iter()
        .flat_map(|p| p.bars.iter())
        .filter(|b| b.value.is_some())
        .map(|b| b.concurrency)
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let width = PANEL_W * panels.len().max(1) as f64;
    let height = PANEL_H + LEGEND_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width:.0}" height="{height:.0}" fill="white"/>"#
    );
    for (i, p) in panels.iter().enumerate() {
        panel(&mut out, PANEL_W * i as f64, p, sdks, &groups);
    }
    let legend_y = PANEL_H + 10.0;
    let mut x = MARGIN_L;
    for (si, sdk) in sdks.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{legend_y:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            COLOURS[si % COLOURS.len()],
            x + 16.0,
            legend_y + 10.0,
            escape(sdk)
        );
        x += 30.0 + 8.0 * sdk.chars().count() as f64;
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[(&str, usize, Option<f64>)]) -> Vec<Bar> {
        values
            .iter()
            .map(|(s, c, v)| Bar {
                sdk: (*s).to_owned(),
                concurrency: *c,
                value: *v,
            })
            .collect()
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(0.54), 0.2);
        assert_eq!(tick_step(1081.0), 500.0);
        assert_eq!(tick_step(24.0), 5.0);
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(tick_label(0.0, 50.0), "0");
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(0.05, 0.05), "0.05");
    }

    #[test]
    fn every_measured_bar_is_drawn_with_its_label() {
        let sdks = vec!["raw".to_owned(), "solo".to_owned()];
        let panel = Panel {
            title: "CPU <per> activity".into(),
            unit: "ms".into(),
            bars: bars(&[
                ("raw", 1, Some(0.514)),
                ("solo", 1, Some(0.532)),
                ("raw", 10, Some(0.405)),
                ("solo", 10, None),
            ]),
        };
        let svg = svg(&[panel], &sdks);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        // Three measured bars plus the background and two legend swatches.
        assert_eq!(svg.matches("<rect").count(), 3 + 1 + 2, "{svg}");
        for text in ["0.514", "0.532", "0.405", "C = 1", "C = 10", "&lt;per&gt;"] {
            assert!(svg.contains(text), "missing {text}: {svg}");
        }
        // The taller bar starts higher (smaller y).
        let y_of = |title: &str| -> f64 {
            let at = svg.find(title).unwrap();
            let rect = svg[..at].rfind("<rect").unwrap();
            let y = svg[rect..].split("y=\"").nth(1).unwrap();
            y.split('"').next().unwrap().parse().unwrap()
        };
        assert!(y_of("solo C=1:") < y_of("raw C=10:"), "{svg}");
    }
}

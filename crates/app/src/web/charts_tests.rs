//! The dashboard's SVG charts: scaling to round numbers, empty data, escaping.

use super::*;

fn labels(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn series(name: &str, values: &[f64]) -> Series {
    Series {
        name: name.to_owned(),
        values: values.to_vec(),
    }
}

#[test]
fn the_value_axis_ends_on_a_round_number_just_above_the_largest_value() {
    assert_eq!(
        Scale::for_max(10.0),
        Scale {
            top: 10.0,
            step: 5.0
        }
    );
    assert_eq!(
        Scale::for_max(3.0),
        Scale {
            top: 3.0,
            step: 1.0
        }
    );
    assert_eq!(
        Scale::for_max(7.0),
        Scale {
            top: 8.0,
            step: 2.0
        }
    );
    assert_eq!(
        Scale::for_max(130.0),
        Scale {
            top: 150.0,
            step: 50.0
        }
    );
    assert_eq!(
        Scale::for_max(0.0),
        Scale {
            top: 1.0,
            step: 1.0
        }
    );
    assert_eq!(
        Scale::for_max(f64::NAN),
        Scale {
            top: 1.0,
            step: 1.0
        }
    );
    let small = Scale::for_max(0.3);
    assert!((small.top - 0.3).abs() < 1e-9 && (small.step - 0.1).abs() < 1e-9);
}

#[test]
fn bars_are_as_tall_as_their_share_of_the_axis() {
    let labels = labels(&["anime", "clay-3d"]);
    let series = [series("succeeded", &[10.0, 5.0])];
    let chart = Chart {
        title: "Jobs",
        desc: "Jobs by style",
        empty: "No data",
        labels: &labels,
        series: &series,
    };

    let svg = bar_chart(&chart);

    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains(&format!("height=\"{PLOT_H:.1}\"")), "{svg}");
    assert!(
        svg.contains(&format!("height=\"{:.1}\"", PLOT_H / 2.0)),
        "{svg}"
    );
    assert!(svg.contains("<title>anime: 10</title>"));
    assert!(
        svg.contains(">succeeded</text>"),
        "the legend names the series"
    );
    assert_eq!(
        svg.matches("<rect").count(),
        2 + 1,
        "two bars and a legend key"
    );
}

#[test]
fn counts_are_marked_on_whole_numbers_only() {
    let labels = labels(&["11-24", "11-25"]);
    let counts = [series("sign-ups", &[0.0, 2.0])];
    let seconds = [series("p50", &[0.0, 2.0]), series("p95", &[0.2, 0.4])];
    let chart = |series| Chart {
        title: "Sign-ups",
        desc: "Sign-ups per day",
        empty: "No data",
        labels: &labels,
        series,
    };

    let count_svg = line_chart(&chart(&counts));
    let seconds_svg = line_chart(&chart(&seconds));

    for tick in [">0</text>", ">1</text>", ">2</text>"] {
        assert!(count_svg.contains(tick), "{tick} in {count_svg}");
    }
    assert!(!count_svg.contains(">0.5</text>"), "{count_svg}");
    assert!(seconds_svg.contains(">0.5</text>"), "{seconds_svg}");
}

#[test]
fn a_line_goes_through_one_point_per_label() {
    let labels = labels(&["11-01", "11-02", "11-03"]);
    let series = [
        series("p50", &[0.5, 1.0, 0.0]),
        series("p95", &[2.0, 4.0, 1.0]),
    ];
    let chart = Chart {
        title: "Latency",
        desc: "Queue latency",
        empty: "No data",
        labels: &labels,
        series: &series,
    };

    let svg = line_chart(&chart);

    assert_eq!(svg.matches("<polyline").count(), 2);
    assert_eq!(svg.matches("<circle").count(), 6);
    assert!(svg.contains("<title>11-01: 0.5</title>"), "{svg}");
    let bottom = format!("{:.1}", TOP + PLOT_H);
    assert!(svg.contains(&bottom), "a zero sits on the axis: {svg}");
}

#[test]
fn an_empty_chart_says_so_instead_of_drawing() {
    let none: Vec<String> = Vec::new();
    let chart = Chart {
        title: "Sign-ups",
        desc: "Sign-ups per day",
        empty: "Nothing yet",
        labels: &none,
        series: &[],
    };

    let bars = bar_chart(&chart);
    let line = line_chart(&chart);

    for svg in [&bars, &line] {
        assert!(svg.contains(">Nothing yet</text></svg>"), "{svg}");
        assert!(!svg.contains("<polyline") && !svg.contains("<rect"));
        assert!(svg.contains("role=\"img\" aria-label=\"Sign-ups\""));
    }
}

#[test]
fn labels_titles_and_names_are_escaped() {
    let labels = labels(&["<script>alert(1)</script>"]);
    let series = [series("a & \"b\"", &[1.0])];
    let chart = Chart {
        title: "x' onload='y",
        desc: "<desc>",
        empty: "",
        labels: &labels,
        series: &series,
    };

    let svg = bar_chart(&chart);

    assert!(!svg.contains("<script>"), "{svg}");
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(svg.contains("a &amp; &quot;b&quot;"));
    assert!(svg.contains("aria-label=\"x&#39; onload=&#39;y\""));
    assert!(svg.contains("<desc>&lt;desc&gt;</desc>"));
}

#[test]
fn numbers_are_written_without_needless_decimals() {
    assert_eq!(number(3.0), "3");
    assert_eq!(number(0.25), "0.25");
    assert_eq!(number(1.5), "1.5");
}

//! `/admin`: the key metrics of the last 30 days as server-drawn SVG charts (sign-ups, jobs
//! by style and outcome, tokens sold and spent, queue latency), each with its numbers in a
//! table, the queue right now, and the retention sweeper's latest runs.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admin_console::{audit, day_label};
use super::charts::{Chart, Series, bar_chart, line_chart};
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::Timestamp;
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::store::{DAY_MS, JobStatus, QueueNow, SweepRun, day_of};

/// Days the charts cover, today included.
const DAYS: i64 = 30;
/// Sweeper runs shown (the store keeps more).
const RUNS_SHOWN: u32 = 20;

/// A chart and the same numbers as a table.
struct ChartView {
    heading: String,
    svg: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

struct RunRow {
    started: String,
    seconds: String,
    removed: String,
    error: String,
}

#[derive(Template)]
#[template(path = "admin_dashboard.html")]
struct DashboardPage {
    tr: Tr,
    user: Option<NavUser>,
    charts: Vec<ChartView>,
    queue: QueueNow,
    runs: Vec<RunRow>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "view-dashboard", None, "page".into()).await {
        return response;
    }
    let store = &state.services.store;
    let today = day_of(Timestamp::now());
    let days: Vec<i64> = (today - DAYS + 1..=today).collect();
    let since = Timestamp::from_millis(days[0] * DAY_MS);
    let read = tokio::try_join!(
        store.signups_per_day(since),
        store.jobs_by_style(since),
        store.token_flow_per_day(since),
        store.queue_latency_per_day(since),
        store.queue_now(),
        store.sweep_runs(RUNS_SHOWN),
    );
    let (signups, styles, flow, latency, queue, runs) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "reading the dashboard failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let labels: Vec<String> = days.iter().map(|d| day_label(*d)).collect();
    let per_day = |value: &dyn Fn(i64) -> i64| -> Vec<f64> {
        days.iter().map(|d| value(*d) as f64).collect()
    };

    let signups = vec![Series {
        name: tr.t("admin-chart-signups"),
        values: per_day(&|day| signups.iter().find(|s| s.day == day).map_or(0, |s| s.count)),
    }];
    let flow = vec![
        Series {
            name: tr.t("admin-chart-sold"),
            values: per_day(&|day| flow.iter().find(|f| f.day == day).map_or(0, |f| f.sold)),
        },
        Series {
            name: tr.t("admin-chart-spent"),
            values: per_day(&|day| flow.iter().find(|f| f.day == day).map_or(0, |f| f.spent)),
        },
    ];
    let mut style_names: Vec<String> = styles.iter().map(|s| s.style.clone()).collect();
    style_names.dedup();
    let outcomes = [JobStatus::Succeeded, JobStatus::Failed, JobStatus::Canceled];
    let by_style: Vec<Series> = outcomes
        .iter()
        .map(|status| Series {
            name: tr.t(&format!("admin-outcome-{}", status.as_str())),
            values: style_names
                .iter()
                .map(|name| {
                    styles
                        .iter()
                        .find(|s| &s.style == name && s.status == *status)
                        .map_or(0.0, |s| s.count as f64)
                })
                .collect(),
        })
        .collect();
    let latency_days: Vec<String> = latency.iter().map(|l| day_label(l.day)).collect();
    let seconds = |ms: i64| ms as f64 / 1000.0;
    let latency_series = vec![
        Series {
            name: tr.t("admin-chart-p50"),
            values: latency.iter().map(|l| seconds(l.p50_ms)).collect(),
        },
        Series {
            name: tr.t("admin-chart-p95"),
            values: latency.iter().map(|l| seconds(l.p95_ms)).collect(),
        },
    ];

    let charts = vec![
        chart_view(&tr, "signups", line_chart, &labels, &signups),
        chart_view(&tr, "jobs", bar_chart, &style_names, &by_style),
        chart_view(&tr, "tokens", line_chart, &labels, &flow),
        chart_view(&tr, "latency", line_chart, &latency_days, &latency_series),
    ];
    let runs = runs.iter().map(|run| run_row(&tr, run)).collect();
    let page = DashboardPage {
        user: nav_user(&state, Some(caller)).await,
        charts,
        queue,
        runs,
        tr,
    };
    render(StatusCode::OK, &page)
}

/// A chart named by `key` (`admin-chart-<key>` heading, `-desc` description) drawn by
/// `draw`, and its table: one row per label, one column per series.
fn chart_view(
    tr: &Tr,
    key: &str,
    draw: fn(&Chart) -> String,
    labels: &[String],
    series: &[Series],
) -> ChartView {
    let heading = tr.t(&format!("admin-chart-{key}-title"));
    let desc = tr.t(&format!("admin-chart-{key}-desc"));
    let empty = tr.t("admin-chart-empty");
    let svg = draw(&Chart {
        title: &heading,
        desc: &desc,
        empty: &empty,
        labels,
        series,
    });
    let mut columns = vec![tr.t(&format!("admin-chart-{key}-axis"))];
    columns.extend(series.iter().map(|s| s.name.clone()));
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = series
                .iter()
                .map(|s| {
                    s.values
                        .get(i)
                        .map_or_else(String::new, |v| super::charts::number(*v))
                })
                .collect();
            (label.clone(), cells)
        })
        .collect();
    ChartView {
        heading,
        svg,
        columns,
        rows,
    }
}

fn run_row(tr: &Tr, run: &SweepRun) -> RunRow {
    let millis = run
        .finished_at
        .millis()
        .saturating_sub(run.started_at.millis());
    let removed = if run.removed.is_empty() {
        tr.t("admin-sweep-nothing")
    } else {
        run.removed
            .iter()
            .map(|(kind, count)| {
                let key = format!("admin-sweep-kind-{kind}");
                tr.try_tn(&key, vec![("count", (*count).into())])
                    .unwrap_or_else(|| format!("{kind} {count}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    RunRow {
        started: tr.datetime(run.started_at),
        seconds: super::charts::number((millis as f64 / 10.0).round() / 100.0),
        removed,
        error: run.error.clone().unwrap_or_default(),
    }
}

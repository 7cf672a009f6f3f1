//! `confab-bench chart`: p99 latency against dataset size, per scenario, one panel per engine,
//! from the JSON results of earlier runs (the newest result of each engine, size and scenario).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use plotters::prelude::*;

use crate::report::RunReport;
use crate::scenario::Scenario;

/// Fonts tried in order (Debian's `fonts-dejavu-core`, then common alternatives).
const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

type Series = BTreeMap<Scenario, Vec<(u64, f64)>>;

/// Reads every result in `results` made with `connections` connections and draws `out`.
pub fn draw(results: &Path, out: &Path, connections: usize) -> anyhow::Result<usize> {
    let font = FONTS
        .iter()
        .find_map(|f| std::fs::read(f).ok())
        .context("no TrueType font found; install fonts-dejavu-core")?;
    let font: &'static [u8] = Box::leak(font.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, font)
        .map_err(|_| anyhow::anyhow!("the font could not be read"))?;

    // engine -> conversations -> (started_at, report): the newest per size.
    let mut newest: BTreeMap<String, BTreeMap<u64, RunReport>> = BTreeMap::new();
    let mut files = 0;
    for entry in
        std::fs::read_dir(results).with_context(|| format!("cannot read {}", results.display()))?
    {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let Ok(r) = serde_json::from_str::<RunReport>(&text) else {
            continue;
        };
        if r.connections != connections || r.durability == "full" {
            continue;
        }
        files += 1;
        let slot = newest.entry(r.engine.clone()).or_default();
        let replace = slot
            .get(&r.conversations)
            .is_none_or(|old| old.started_at < r.started_at);
        if replace {
            slot.insert(r.conversations, r);
        }
    }
    if newest.is_empty() {
        bail!(
            "no results with {connections} connections in {}",
            results.display()
        );
    }
    let panels: Vec<(String, Series)> = newest
        .into_iter()
        .map(|(engine, by_size)| {
            let mut series = Series::new();
            for (size, r) in by_size {
                // A scenario that completed no request in its window has no latency to draw.
                for s in r.scenarios.into_iter().filter(|s| s.requests > 0) {
                    series
                        .entry(s.scenario)
                        .or_default()
                        .push((size, s.p99_ms.max(0.01)));
                }
            }
            (engine, series)
        })
        .collect();

    let root = BitMapBackend::new(out, (640 * panels.len() as u32, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((1, panels.len()));
    for ((engine, series), area) in panels.iter().zip(areas.iter()) {
        let xs: Vec<u64> = series.values().flatten().map(|p| p.0).collect();
        let x_min = xs.iter().copied().min().unwrap_or(1).max(1) as f64;
        let x_max = (xs.iter().copied().max().unwrap_or(10).max(10) as f64).max(x_min * 10.0);
        let y_max = series
            .values()
            .flatten()
            .map(|p| p.1)
            .fold(1.0f64, f64::max)
            * 2.0;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{engine}: p99 latency, {connections} connections"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                (x_min * 0.8..x_max * 1.25).log_scale(),
                (0.05f64..y_max).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("conversations")
            .y_desc("p99 (ms)")
            .x_label_formatter(&|x| human(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .label_style(("sans-serif", 13))
            .draw()?;
        for (i, (scenario, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let pts: Vec<(f64, f64)> = points.iter().map(|(x, y)| (*x as f64, *y)).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
                .label(scenario.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .draw()?;
    }
    root.present()?;
    Ok(files)
}

fn human(x: f64) -> String {
    if x >= 1e6 {
        format!("{}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{}k", x / 1e3)
    } else {
        format!("{x}")
    }
}

//! Times one style on a reference photo (see `reference/mod.rs`), as wall time and as the CPU
//! time this process used (from /proc/self/stat, Linux only), which stays meaningful on a
//! machine shared with other work: `cargo run --release -p atelier-engine --example
//! paint_bench -- DIR NAME STYLE [RUNS] [INTENSITY]`. A tuning aid, not used by the product.

mod reference;

use std::path::Path;
use std::time::Instant;

use atelier_engine::{Params, Style, stylize_portrait};

/// User + system CPU seconds of this process so far (0 where /proc is missing).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, name, style, rest @ ..] = args.as_slice() else {
        return Err("usage: paint_bench DIR NAME STYLE [RUNS] [INTENSITY]".into());
    };
    let runs: usize = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let intensity = rest.get(1).map(|s| s.parse()).transpose()?.unwrap_or(0.5);
    let style: Style = style.parse()?;
    let (photo, portrait) = reference::load(Path::new(dir), name)?;
    let mp = f64::from(photo.width()) * f64::from(photo.height()) / 1e6;
    let params = Params { intensity, seed: 0 };
    let _ = stylize_portrait(&photo, &portrait, style, &params);
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let _ = stylize_portrait(&photo, &portrait, style, &params);
        walls.push(t.elapsed().as_secs_f64() * 1e3 / mp);
        cpus.push((cpu_seconds() - c) * 1e3 / mp);
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    println!(
        "{style} {}x{}: wall {:.0} ms/MP, cpu {:.0} ms/MP (medians of {runs})",
        photo.width(),
        photo.height(),
        walls[walls.len() / 2],
        cpus[cpus.len() / 2]
    );
    Ok(())
}

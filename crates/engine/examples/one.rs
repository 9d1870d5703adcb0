//! Development aid: runs one style five times on the bundled portrait at 1024², for profiling.
//! `cargo run --release -p atelier-engine --example one -- STYLE`

use atelier_engine::{Limits, Params, Style, decode, stylize};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let style: Style = std::env::args().nth(1).ok_or("usage: one STYLE")?.parse()?;
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/astronaut.png");
    let photo = decode(&std::fs::read(bundled)?, &Limits::default())?.image;
    let photo =
        image::imageops::resize(&photo, 1024, 1024, image::imageops::FilterType::CatmullRom);
    let start = std::time::Instant::now();
    for _ in 0..5 {
        std::hint::black_box(stylize(&photo, style, &Params::default()));
    }
    println!("{:.1} ms per run", start.elapsed().as_secs_f64() * 200.0);
    Ok(())
}

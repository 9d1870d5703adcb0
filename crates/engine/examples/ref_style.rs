//! Renders one style with the reference analysis (see `reference/mod.rs`):
//! `cargo run --release -p atelier-engine --example ref_style -- DIR NAME STYLE OUT.png [INTENSITY]`
//! STYLE may be `all`, which writes OUT with the style id inserted before the extension.

mod reference;

use std::path::{Path, PathBuf};

use atelier_engine::{Params, Style, stylize_portrait};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, name, style, out, rest @ ..] = args.as_slice() else {
        return Err("usage: ref_style DIR NAME STYLE|all OUT.png [INTENSITY]".into());
    };
    let intensity = rest.first().map(|s| s.parse()).transpose()?.unwrap_or(0.5);
    let (photo, portrait) = reference::load(Path::new(dir), name)?;
    let styles: Vec<Style> = if style == "all" {
        Style::ALL.to_vec()
    } else {
        vec![style.parse()?]
    };
    for s in styles {
        let started = std::time::Instant::now();
        let img = stylize_portrait(&photo, &portrait, s, &Params { intensity, seed: 0 });
        let path = if style == "all" {
            let p = PathBuf::from(out);
            p.with_extension(format!("{}.png", s.id()))
        } else {
            PathBuf::from(out)
        };
        img.save(&path)?;
        eprintln!("{} {:?} -> {}", s.id(), started.elapsed(), path.display());
    }
    Ok(())
}

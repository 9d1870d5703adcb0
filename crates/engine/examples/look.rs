//! Development aid: styles one photo the way `atelier stylize PHOTO --style S --out DIR` does
//! (decode, analysis, `stylize_portrait`, PNG), without building the whole service, so that
//! `bench/compare_looks.py --atelier` can run against an engine-only build while a style is
//! being reworked. It runs the same decode, analysis and `stylize_portrait` as the real
//! binary, so the sheets under `docs/looks/` are the same pixels whichever of the two made them.
//! `cargo run --release -p atelier-engine --example look -- stylize PHOTO --style S --out DIR`

use std::path::PathBuf;

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, analyze, decode, encode, stylize_portrait,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: look stylize PHOTO --style STYLE --out DIR";
    let (photo, style, out) = match args.as_slice() {
        [verb, photo, s, style, o, out] if verb == "stylize" && s == "--style" && o == "--out" => (
            PathBuf::from(photo),
            style.parse::<Style>()?,
            PathBuf::from(out),
        ),
        _ => return Err(usage.into()),
    };
    let image = decode(&std::fs::read(&photo)?, &Limits::default())?.image;
    let portrait = analyze(&image);
    let styled = stylize_portrait(&image, &portrait, style, &Params::default());
    let options = EncodeOptions::new(Format::Png, style);
    let stem = photo.file_stem().ok_or(usage)?.to_string_lossy();
    let name = format!("{stem}.{}.png", args[3]);
    std::fs::write(out.join(name), encode(&styled, &options)?)?;
    Ok(())
}

//! Fuzz target `pipeline`: untrusted bytes through the whole engine, as an upload would go.
//!
//! The first input byte picks the style, intensity and output format; the rest is the file.
//! Decode runs with small limits (1 MP) so each run stays fast, and the styled image is a
//! ≤ 64 px copy: the target is after panics, hangs and memory blow-ups, not style quality.
#![no_main]

use atelier_engine::{
    EncodeOptions, Format, Limits, Params, Style, decode, encode, fit_max_edge, stylize,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, file)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_bytes: 1 << 20,
        max_pixels: 1_000_000,
        max_alloc: 64 << 20,
    };
    let Ok(decoded) = decode(file, &limits) else {
        return;
    };
    let small = fit_max_edge(&decoded.image, 64);

    let style = Style::ALL[usize::from(knobs) % Style::ALL.len()];
    let params = Params {
        intensity: f32::from(knobs >> 4) / 15.0,
        seed: u64::from(knobs),
    };
    let styled = stylize(&small, style, &params);
    assert_eq!(styled.dimensions(), small.dimensions(), "styles keep the size");

    let format = Format::ALL[usize::from(knobs >> 3) % Format::ALL.len()];
    let out = match encode(&styled, &EncodeOptions::new(format, style)) {
        Ok(out) => out,
        Err(e) => panic!("encoding a decoded {:?} image failed: {e}", styled.dimensions()),
    };
    if let Err(e) = decode(&out, &Limits::default()) {
        panic!("our own {format} output does not decode: {e}");
    }
});

//! `atelier-engine`: bytes → image → style → bytes, on the CPU, with no model files to install
//! (its three small networks are compiled in).
//!
//! The engine owns safe decoding (format sniffing, byte/pixel/memory caps, EXIF orientation,
//! sRGB conversion, metadata stripping), portrait analysis (faces, face mesh, person mask), the
//! six built-in portrait styles and encoding with AI-generation provenance. It must not do
//! I/O, async work or keep mutable globals (its one process-wide cache holds the networks'
//! immutable plans, see `nn`): callers hand it bytes and get bytes back.
//!
//! ```no_run
//! use atelier_engine::{decode, encode, stylize, EncodeOptions, Format, Limits, Params, Style};
//!
//! let bytes = std::fs::read("portrait.jpg")?;
//! let photo = decode(&bytes, &Limits::default())?;
//! let styled = stylize(&photo.image, Style::Anime, &Params::default());
//! let out = encode(&styled, &EncodeOptions::new(Format::Png, Style::Anime))?;
//! std::fs::write("portrait.anime.png", out)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decode;
mod encode;
mod error;
mod face;
mod filter;
mod geometry;
mod nn;
mod portrait;
mod segment;
mod style;
mod xmp;

mod raster;

pub use decode::{Decoded, Format, Header, Limits, decode, probe, sniff};
pub use encode::{EncodeOptions, encode};
pub use error::{DecodeError, EncodeError};
pub use face::{FaceBox, detect_faces};
pub use geometry::{crop_to_face, fit_max_edge};
pub use nn::{PlanBuild, prepare_analysis};
pub use portrait::{Face, FaceRegion, Mask, Portrait, analyze};
pub use style::{Params, Style, stylize, stylize_portrait};

/// The engine's version, written into every output's provenance metadata.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// An 8-bit sRGB image with no alpha: what every style reads and writes.
pub type RgbImage = image::RgbImage;

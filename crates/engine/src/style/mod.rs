//! The six built-in styles and their shared parameters. Each style lives in its own module and
//! works on planar f32 rasters (`crate::raster`); this module only names them and dispatches.

mod anime;
mod artistic;
mod clay;
mod detailed_sketch;
mod light_color;
mod rough_sketch;

use std::fmt;
use std::str::FromStr;

use crate::RgbImage;
use crate::portrait::{Portrait, analyze};
use crate::raster::{LightnessLut, Raster, reduce_pixels};

/// A built-in portrait style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    RoughSketch,
    DetailedSketch,
    LightColor,
    Artistic,
    Anime,
    Clay3d,
}

impl Style {
    /// Every built-in style, in the order the gallery shows them.
    pub const ALL: [Style; 6] = [
        Style::RoughSketch,
        Style::DetailedSketch,
        Style::LightColor,
        Style::Artistic,
        Style::Anime,
        Style::Clay3d,
    ];

    /// The stable id used on the command line, in the API and in file names.
    pub fn id(self) -> &'static str {
        match self {
            Style::RoughSketch => "rough-sketch",
            Style::DetailedSketch => "detailed-sketch",
            Style::LightColor => "light-color",
            Style::Artistic => "artistic",
            Style::Anime => "anime",
            Style::Clay3d => "clay-3d",
        }
    }

    /// One line for `atelier stylize --list` and the style picker.
    pub fn description(self) -> &'static str {
        match self {
            Style::RoughSketch => "Loose, free-hand pencil lines on paper",
            Style::DetailedSketch => "Precise graphite drawing with shaded tones",
            Style::LightColor => "Soft watercolor wash with paper texture and darkened edges",
            Style::Artistic => "Painterly brush strokes that follow the shapes of the face",
            Style::Anime => "Flat cel colours with clean ink lines",
            Style::Clay3d => "Relit, sculpted look of a clay or 3D render",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The reason a style name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown style `{0}` (known: rough-sketch, detailed-sketch, light-color, artistic, anime, clay-3d)"
)]
pub struct UnknownStyle(pub String);

impl FromStr for Style {
    type Err = UnknownStyle;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Style::ALL
            .into_iter()
            .find(|style| style.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStyle(s.to_owned()))
    }
}

/// Knobs every style understands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// How strongly the style departs from the photo, 0 (subtle) to 1 (strong). Clamped.
    pub intensity: f32,
    /// Seeds every random texture (paper grain, jitter, pigment), so output is reproducible.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            intensity: 0.5,
            seed: 0,
        }
    }
}

impl Params {
    pub(crate) fn intensity(&self) -> f32 {
        if self.intensity.is_finite() {
            self.intensity.clamp(0.0, 1.0)
        } else {
            0.5
        }
    }
}

/// Turns a photo into a styled portrait of the same size, analysing it first (see
/// `stylize_portrait` to reuse an analysis). Deterministic: the same image, style and params
/// always give the same pixels, whatever the number of threads.
pub fn stylize(image: &RgbImage, style: Style, params: &Params) -> RgbImage {
    if image.width() == 0 || image.height() == 0 {
        return image.clone();
    }
    stylize_portrait(image, &analyze(image), style, params)
}

/// Turns a photo into a styled portrait of the same size, using `portrait` (from `analyze` on
/// this same image) to treat the person, the background and the face's features apart.
/// A portrait of another size is ignored (treated as `Portrait::unknown`).
pub fn stylize_portrait(
    image: &RgbImage,
    portrait: &Portrait,
    style: Style,
    params: &Params,
) -> RgbImage {
    if image.width() == 0 || image.height() == 0 {
        return image.clone();
    }
    let unknown;
    let portrait =
        if portrait.person.width == image.width() && portrait.person.height == image.height() {
            portrait
        } else {
            unknown = Portrait::unknown(image.width(), image.height());
            &unknown
        };
    match style {
        Style::RoughSketch => rough_sketch::render(image, portrait, params),
        Style::DetailedSketch => detailed_sketch::render(image, portrait, params),
        Style::LightColor => light_color::render(image, portrait, params),
        Style::Artistic => artistic::render(image, portrait, params),
        Style::Anime => anime::render(image, portrait, params),
        Style::Clay3d => clay::render(image, portrait, params),
    }
}

/// Stage timings for tuning: with the `stage-timing` feature each `mark` prints the time since
/// the clock started; without it, marks compile to nothing.
pub(crate) struct StageClock {
    #[cfg(feature = "stage-timing")]
    start: std::time::Instant,
}

impl StageClock {
    pub fn start() -> StageClock {
        StageClock {
            #[cfg(feature = "stage-timing")]
            start: std::time::Instant::now(),
        }
    }

    #[inline]
    pub fn mark(&self, _label: &str) {
        #[cfg(feature = "stage-timing")]
        eprintln!(
            "{_label:>20} {:7.2} ms",
            self.start.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// The reduced copy of a photo on which a style computes what is smooth anyway (orientation,
/// DoG responses, abstraction): the feature scale there stays near 1, so the published
/// parameter values apply unchanged, and the work shrinks 4× per level. Results are sampled
/// back at full size with bilinear interpolation before any thresholding.
pub(crate) struct WorkScale {
    /// Times the photo was halved (0, 1 or 2).
    pub levels: u32,
    /// Feature scale of the reduced copy.
    pub s: f32,
    /// Size of one reduced pixel in full-size pixels.
    pub factor: f32,
}

impl WorkScale {
    pub fn of(image: &RgbImage) -> WorkScale {
        let full = feature_scale(image);
        let levels = if full >= 3.0 {
            2
        } else if full >= 1.5 {
            1
        } else {
            0
        };
        let factor = (1u32 << levels) as f32;
        WorkScale {
            levels,
            s: full / factor,
            factor,
        }
    }

    /// The photo's colours (0..1) on the reduced grid.
    pub fn colours(&self, image: &RgbImage) -> Raster {
        reduce_pixels(image, self.levels, 3, |px, out| {
            for (o, &v) in out.iter_mut().zip(px) {
                *o = f32::from(v) * (1.0 / 255.0);
            }
        })
    }

    /// CIE L* (0..100) on the reduced grid: the L* of each block's mean colour, so the
    /// lookup runs once per reduced pixel rather than once per photo pixel.
    pub fn lightness(&self, image: &RgbImage) -> Raster {
        let lut = LightnessLut::new();
        if self.levels == 0 {
            return reduce_pixels(image, 0, 1, |px, out| out[0] = lut.of(px));
        }
        let mean = reduce_pixels(image, self.levels, 3, |px, out| {
            for (o, &v) in out.iter_mut().zip(px) {
                *o = f32::from(v);
            }
        });
        Raster::from_rows(mean.w, mean.h, 1, |y, out| {
            for (o, px) in out.iter_mut().zip(mean.row(y).chunks_exact(3)) {
                *o = lut.of(&[0, 1, 2].map(|ch| (px[ch] + 0.5) as u8));
            }
        })
    }

    /// Position in the reduced copy of full-size pixel `(x, y)` (pixel centres aligned).
    #[inline]
    pub fn to_work(&self, x: f32, y: f32) -> (f32, f32) {
        let inv = 1.0 / self.factor;
        ((x + 0.5) * inv - 0.5, (y + 0.5) * inv - 0.5)
    }
}

/// How much larger than a 512×512 portrait the image is, as a length ratio: the published
/// parameter values are tuned for images of about that size, so sizes in pixels scale by it.
pub(crate) fn feature_scale(image: &RgbImage) -> f32 {
    let pixels = image.width() as f32 * image.height() as f32;
    (pixels.sqrt() / 512.0).clamp(0.25, 6.0)
}

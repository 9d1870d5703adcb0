//! What a person sees in each style's output, held on three real portraits (tests/data, all
//! public domain or CC0): the face is still a face, the sketches are drawn on white paper
//! away from the person, the painting has fewer colours than the photo, and anime and
//! watercolor keep the colour of the skin.
//!
//! The numbers are the ones the styles are held to (README, "Styles"): IoU ≥ 0.3 between the face
//! found in the output and in the photo; ≥ 50 % of the pixels outside the person (mask < 0.2)
//! at L* ≥ 85; the colours that cover 90 % of the pixels, at 5 bits per channel; the face
//! oval's mean CIELAB hue within 8°.
// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;

use atelier_engine::{
    Face, FaceBox, FaceRegion, Limits, Params, Portrait, RgbImage, Style, analyze, decode,
    stylize_portrait,
};

/// A test portrait, its analysis and each style's output from that analysis.
struct Case {
    name: &'static str,
    photo: RgbImage,
    portrait: Portrait,
}

/// The portraits in tests/data (origins in tests/data/README.md).
const PHOTOS: [&str; 3] = ["astronaut.png", "grace_hopper.jpg", "camera.png"];

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        PHOTOS
            .iter()
            .map(|name| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/data")
                    .join(name);
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
                let photo = decode(&bytes, &Limits::default()).unwrap().image;
                let portrait = analyze(&photo);
                Case {
                    name,
                    photo,
                    portrait,
                }
            })
            .collect()
    })
}

fn styled(case: &Case, style: Style) -> RgbImage {
    stylize_portrait(&case.photo, &case.portrait, style, &Params::default())
}

/// The largest face of the photo's analysis; every test portrait has one.
fn main_face(case: &Case) -> &Face {
    case.portrait
        .faces
        .first()
        .unwrap_or_else(|| panic!("{}: analyze finds no face in the photo itself", case.name))
}

fn iou(a: &FaceBox, b: &FaceBox) -> f64 {
    let left = a.x.max(b.x);
    let top = a.y.max(b.y);
    let right = (a.x + a.width).min(b.x + b.width);
    let bottom = (a.y + a.height).min(b.y + b.height);
    if right <= left || bottom <= top {
        return 0.0;
    }
    let inter = f64::from(right - left) * f64::from(bottom - top);
    inter / (a.area() as f64 + b.area() as f64 - inter)
}

/// CIELAB (D65) of an 8-bit sRGB pixel.
fn lab(p: [u8; 3]) -> [f64; 3] {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(p[0]), lin(p[1]), lin(p[2]));
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// How many colours (5 bits per channel) it takes to cover 90 % of the pixels.
fn colours_covering_90(image: &RgbImage) -> usize {
    let mut counts = vec![0u32; 1 << 15];
    for p in image.pixels() {
        let key =
            (usize::from(p[0] >> 3) << 10) | (usize::from(p[1] >> 3) << 5) | usize::from(p[2] >> 3);
        counts[key] += 1;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let goal = 0.9 * f64::from(image.width() * image.height());
    let mut covered = 0.0;
    for (i, &n) in counts.iter().enumerate() {
        covered += f64::from(n);
        if covered >= goal {
            return i + 1;
        }
    }
    counts.len()
}

/// The mean (a*, b*) over the pixels where `weight` is above one half, and how many there were.
fn mean_chroma(image: &RgbImage, weight: impl Fn(u32, u32) -> f32) -> ([f64; 2], usize) {
    let (mut a, mut b, mut n) = (0.0, 0.0, 0usize);
    for (x, y, p) in image.enumerate_pixels() {
        if weight(x, y) > 0.5 {
            let l = lab(p.0);
            a += l[1];
            b += l[2];
            n += 1;
        }
    }
    let n_f = n.max(1) as f64;
    ([a / n_f, b / n_f], n)
}

fn hue_degrees(ab: [f64; 2]) -> f64 {
    ab[1].atan2(ab[0]).to_degrees()
}

/// The face is found again in the output, where it was in the photo.
fn face_is_found_again(style: Style) {
    let mut failures = Vec::new();
    for case in cases() {
        let before = main_face(case).bbox;
        let after = analyze(&styled(case, style));
        let best = after
            .faces
            .iter()
            .map(|f| iou(&before, &f.bbox))
            .fold(0.0, f64::max);
        eprintln!(
            "{style} {}: {} face(s) in the output, best IoU {best:.2}",
            case.name,
            after.faces.len()
        );
        if best < 0.3 {
            failures.push(format!(
                "{}: best IoU {best:.2} over {} face(s)",
                case.name,
                after.faces.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{style}: face lost in {failures:?}");
}

/// At least half of what lies outside the person is near-white paper.
fn background_is_paper(style: Style) {
    let mut failures = Vec::new();
    for case in cases() {
        let out = styled(case, style);
        let mask = &case.portrait.person;
        let (mut outside, mut paper) = (0usize, 0usize);
        for (x, y, p) in out.enumerate_pixels() {
            if mask.at(x, y) < 0.2 {
                outside += 1;
                paper += usize::from(lab(p.0)[0] >= 85.0);
            }
        }
        let total = (out.width() * out.height()) as usize;
        // Each test portrait shows a good deal of background: a mask that leaves none of it
        // is not a person mask, and would make this test pass on nothing.
        if outside * 10 < total {
            failures.push(format!(
                "{}: only {outside} of {total} pixels outside the person",
                case.name
            ));
            continue;
        }
        let share = paper as f64 / outside as f64;
        eprintln!(
            "{style} {}: {:.0}% paper outside the person",
            case.name,
            share * 100.0
        );
        if share < 0.5 {
            failures.push(format!("{}: {:.0}% paper", case.name, share * 100.0));
        }
    }
    assert!(failures.is_empty(), "{style}: {failures:?}");
}

/// The face oval keeps its mean hue (colour photos; a grey photo has no hue to keep).
fn face_hue_is_kept(style: Style) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let face = main_face(case);
        let (w, h) = case.photo.dimensions();
        let oval = face.region_mask(FaceRegion::Oval, w, h, 0.0);
        let inside = |x: u32, y: u32| oval.at(x, y);
        let (before, n) = mean_chroma(&case.photo, inside);
        if n < 400 {
            failures.push(format!("{}: the face oval covers {n} pixels", case.name));
            continue;
        }
        if before[0].hypot(before[1]) < 5.0 {
            eprintln!("{style} {}: grey photo, no hue to keep", case.name);
            continue;
        }
        checked += 1;
        let (after, _) = mean_chroma(&styled(case, style), inside);
        let shift = (hue_degrees(after) - hue_degrees(before) + 540.0) % 360.0 - 180.0;
        eprintln!(
            "{style} {}: face hue {:.1}° → {:.1}° ({shift:+.1}°), chroma {:.1} → {:.1}",
            case.name,
            hue_degrees(before),
            hue_degrees(after),
            before[0].hypot(before[1]),
            after[0].hypot(after[1])
        );
        if shift.abs() > 8.0 {
            failures.push(format!("{}: hue moved {shift:+.1}°", case.name));
        }
    }
    assert!(failures.is_empty(), "{style}: {failures:?}");
    assert!(
        checked >= 2,
        "{style}: only {checked} colour portrait(s) checked"
    );
}

macro_rules! face_tests {
    ($($(#[$attr:meta])* $name:ident: $style:expr;)*) => {$(
        $(#[$attr])*
        #[test]
        fn $name() {
            face_is_found_again($style);
        }
    )*};
}

face_tests! {
    rough_sketch_keeps_a_face: Style::RoughSketch;
    detailed_sketch_keeps_a_face: Style::DetailedSketch;
    light_color_keeps_a_face: Style::LightColor;
    artistic_keeps_a_face: Style::Artistic;
    anime_keeps_a_face: Style::Anime;
    clay_3d_keeps_a_face: Style::Clay3d;
}

#[test]
fn rough_sketch_background_is_paper() {
    background_is_paper(Style::RoughSketch);
}

#[test]
fn detailed_sketch_background_is_paper() {
    background_is_paper(Style::DetailedSketch);
}

#[test]
fn artistic_has_fewer_colours_than_the_photo() {
    let mut failures = Vec::new();
    for case in cases() {
        let (photo, painted) = (
            colours_covering_90(&case.photo),
            colours_covering_90(&styled(case, Style::Artistic)),
        );
        eprintln!(
            "artistic {}: {photo} colours in the photo, {painted} painted",
            case.name
        );
        if painted >= photo {
            failures.push(format!("{}: {painted} colours vs {photo}", case.name));
        }
    }
    assert!(failures.is_empty(), "artistic: {failures:?}");
}

#[test]
fn anime_keeps_the_face_hue() {
    face_hue_is_kept(Style::Anime);
}

#[test]
fn light_color_keeps_the_face_hue() {
    face_hue_is_kept(Style::LightColor);
}

/// The measures themselves: a photo against itself passes, and a known change fails.
#[test]
fn the_measures_tell_a_change_from_none() {
    let case = &cases()[0];
    let face = main_face(case);
    assert!((iou(&face.bbox, &face.bbox) - 1.0).abs() < 1e-9);
    let shifted = FaceBox {
        x: face.bbox.x + face.bbox.width,
        ..face.bbox
    };
    assert_eq!(iou(&face.bbox, &shifted), 0.0);

    // White is L* 100 with no chroma; pure red's CIELAB hue is about 40°.
    let white = lab([255, 255, 255]);
    assert!((white[0] - 100.0).abs() < 0.05 && white[1].abs() < 0.05 && white[2].abs() < 0.05);
    assert!((hue_degrees([lab([255, 0, 0])[1], lab([255, 0, 0])[2]]) - 40.0).abs() < 1.0);

    // Quantising the photo to 8 levels per channel leaves fewer colours than it had.
    let mut posterised = case.photo.clone();
    for p in posterised.pixels_mut() {
        for c in &mut p.0 {
            *c &= 0xE0;
        }
    }
    assert!(colours_covering_90(&posterised) < colours_covering_90(&case.photo));
    assert_eq!(colours_covering_90(&RgbImage::new(8, 8)), 1);
}

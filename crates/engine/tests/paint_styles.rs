//! What the painterly (`artistic`) and watercolor (`light-color`) styles promise a viewer, on the
//! bundled astronaut portrait with the person mask and face mesh the reference runtime
//! (mediapipe 0.10.14) found on it (`tests/data/astronaut.mask.png`, `astronaut.mesh.txt`):
//! a painting has fewer distinct colours than the photo and its intensity sets the stroke size;
//! a watercolor keeps the face's hue and leaves white paper showing, most in the background.

use atelier_engine::{
    Face, FaceBox, FaceRegion, Limits, Mask, Params, Portrait, RgbImage, Style, decode,
    stylize_portrait,
};
use image::Rgb;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The astronaut and the reference runtime's analysis of it.
fn astronaut() -> (RgbImage, Portrait) {
    let photo = decode(&data("astronaut.png"), &Limits::default())
        .expect("the astronaut photo decodes")
        .image;
    let mask = image::load_from_memory(&data("astronaut.mask.png"))
        .expect("the mask decodes")
        .to_luma8();
    assert_eq!(mask.dimensions(), photo.dimensions());
    let person = Mask {
        width: mask.width(),
        height: mask.height(),
        data: mask
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect(),
    };
    let text = String::from_utf8(data("astronaut.mesh.txt")).expect("the mesh is text");
    let mesh: Vec<[f32; 3]> = text
        .lines()
        .filter_map(|l| {
            let v: Vec<f32> = l
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect();
            (v.len() == 3).then(|| [v[0], v[1], v[2]])
        })
        .collect();
    assert_eq!(mesh.len(), 468, "one face of 468 points");
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in &mesh {
        (x0, y0, x1, y1) = (x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1]));
    }
    let pt = |i: usize| [mesh[i][0], mesh[i][1]];
    let face = Face {
        bbox: FaceBox {
            x: x0 as u32,
            y: y0 as u32,
            width: (x1 - x0) as u32,
            height: (y1 - y0) as u32,
            score: 1.0,
        },
        keypoints: [pt(33), pt(263), pt(1), pt(13), pt(234), pt(454)],
        mesh,
    };
    (
        photo,
        Portrait {
            faces: vec![face],
            person,
        },
    )
}

fn render(photo: &RgbImage, portrait: &Portrait, style: Style, intensity: f32) -> RgbImage {
    stylize_portrait(photo, portrait, style, &Params { intensity, seed: 0 })
}

/// How many colours (6 bits a channel) it takes to cover 90% of the pixels.
fn colours_covering_90_percent(img: &RgbImage) -> usize {
    let mut counts = vec![0u32; 1 << 18];
    for p in img.pixels() {
        let [r, g, b] = p.0.map(|v| usize::from(v >> 2));
        counts[(r << 12) | (g << 6) | b] += 1;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let goal = (f64::from(img.width() * img.height()) * 0.9).ceil() as u64;
    let mut covered = 0u64;
    for (n, &c) in counts.iter().enumerate() {
        covered += u64::from(c);
        if covered >= goal {
            return n + 1;
        }
    }
    counts.len()
}

/// The image reduced 4× (4×4 block means of luma): what is left of it once the bristle texture
/// inside strokes (finer than a block) is averaged away.
fn reduced(img: &RgbImage) -> Vec<f64> {
    let (w, h) = (img.width() / 4, img.height() / 4);
    (0..w * h)
        .map(|i| {
            let (bx, by) = (i % w, i / w);
            let mut sum = 0.0;
            for y in by * 4..by * 4 + 4 {
                for x in bx * 4..bx * 4 + 4 {
                    let p = img.get_pixel(x, y).0;
                    sum += 0.2126 * f64::from(p[0])
                        + 0.7152 * f64::from(p[1])
                        + 0.0722 * f64::from(p[2]);
                }
            }
            sum / 16.0
        })
        .collect()
}

/// How far a painting departs from the photo at the scale of strokes (mean luma difference
/// of the 4× reduced images): larger strokes and more smoothing take it further.
fn departure(photo: &RgbImage, painting: &RgbImage) -> f64 {
    let (a, b) = (reduced(photo), reduced(painting));
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

fn hue(p: &Rgb<u8>) -> Option<f32> {
    let [r, g, b] = p.0.map(f32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 20.0 {
        return None;
    }
    let h = if max == r {
        (g - b) / (max - min)
    } else if max == g {
        2.0 + (b - r) / (max - min)
    } else {
        4.0 + (r - g) / (max - min)
    };
    Some((h * 60.0).rem_euclid(360.0))
}

#[test]
fn a_painting_has_fewer_colours_than_the_photo() {
    let (photo, portrait) = astronaut();
    let before = colours_covering_90_percent(&photo);
    for p in [
        portrait.clone(),
        Portrait::unknown(photo.width(), photo.height()),
    ] {
        let after = colours_covering_90_percent(&render(&photo, &p, Style::Artistic, 0.5));
        assert!(
            (after as f64) < 0.95 * before as f64,
            "the painting needs {after} colours for 90% of its pixels, the photo {before}"
        );
    }
}

#[test]
fn painting_intensity_sets_the_stroke_and_smoothing_size() {
    let (photo, portrait) = astronaut();
    let fine = departure(&photo, &render(&photo, &portrait, Style::Artistic, 0.0));
    let broad = departure(&photo, &render(&photo, &portrait, Style::Artistic, 1.0));
    assert!(
        broad > 1.25 * fine,
        "strong intensity should paint broader: {broad:.2} vs {fine:.2}"
    );
    assert!(
        fine > 1.0,
        "even a light painting is not the photo: {fine:.2}"
    );
}

#[test]
fn painting_keeps_the_eyes_clear() {
    let (photo, portrait) = astronaut();
    let out = render(&photo, &portrait, Style::Artistic, 1.0);
    let (w, h) = photo.dimensions();
    let face = &portrait.faces[0];
    // Inside the eyes the painting stays close to the photo; on the cheeks it does not have to.
    let difference_in = |region: FaceRegion| {
        let mask = face.region_mask(region, w, h, 0.0);
        let (mut total, mut n) = (0.0, 0.0);
        for (&m, (p, q)) in mask.data.iter().zip(photo.pixels().zip(out.pixels())) {
            if m > 0.5 {
                for ch in 0..3 {
                    total += f64::from(p.0[ch].abs_diff(q.0[ch]));
                }
                n += 3.0;
            }
        }
        assert!(n > 30.0, "{region:?} has pixels");
        total / n
    };
    for eye in [FaceRegion::RightEye, FaceRegion::LeftEye] {
        let d = difference_in(eye);
        assert!(
            d < 22.0,
            "{eye:?} differs from the photo by {d:.1} on average"
        );
    }
}

#[test]
fn watercolor_keeps_the_hue_of_the_face() {
    let (photo, portrait) = astronaut();
    let out = render(&photo, &portrait, Style::LightColor, 0.5);
    let (w, h) = photo.dimensions();
    let oval = portrait.faces[0].region_mask(FaceRegion::Oval, w, h, 0.0);
    let (mut shift, mut n) = (0.0f64, 0u32);
    for (&m, (p, q)) in oval.data.iter().zip(photo.pixels().zip(out.pixels())) {
        if m < 1.0 {
            continue;
        }
        if let (Some(a), Some(b)) = (hue(p), hue(q)) {
            let d = (a - b).abs();
            shift += f64::from(d.min(360.0 - d));
            n += 1;
        }
    }
    assert!(n > 2000, "too few coloured face pixels compared ({n})");
    let mean = shift / f64::from(n);
    assert!(mean <= 8.0, "the face's hue moved by {mean:.1}° on average");
}

#[test]
fn watercolor_leaves_white_paper_most_in_the_background() {
    let (photo, portrait) = astronaut();
    let out = render(&photo, &portrait, Style::LightColor, 0.5);
    let paper = |img: &RgbImage, background: bool| {
        let (mut white, mut n) = (0u32, 0u32);
        for (&m, p) in portrait.person.data.iter().zip(img.pixels()) {
            if (m < 0.5) == background {
                n += 1;
                if p.0.iter().all(|&v| v >= 232) {
                    white += 1;
                }
            }
        }
        f64::from(white) / f64::from(n.max(1))
    };
    let (bg, person) = (paper(&out, true), paper(&out, false));
    let (photo_bg, photo_person) = (paper(&photo, true), paper(&photo, false));
    assert!(
        bg > photo_bg + 0.2,
        "background paper {bg:.2} vs photo {photo_bg:.2}"
    );
    assert!(
        person > photo_person,
        "highlights on the person left as paper"
    );
    assert!(
        bg > person,
        "more paper in the background ({bg:.2}) than on the person ({person:.2})"
    );
}

#[test]
fn watercolor_keeps_its_colour() {
    // Saturation of the person's pixels: a watercolor, not a faded photo.
    let (photo, portrait) = astronaut();
    let out = render(&photo, &portrait, Style::LightColor, 0.5);
    let saturation = |img: &RgbImage| {
        let (mut total, mut n) = (0.0, 0.0);
        for (&m, p) in portrait.person.data.iter().zip(img.pixels()) {
            if m > 0.5 {
                let (max, min) = (
                    *p.0.iter().max().unwrap_or(&0),
                    *p.0.iter().min().unwrap_or(&0),
                );
                total += f64::from(max - min);
                n += 1.0;
            }
        }
        total / n
    };
    let (after, before) = (saturation(&out), saturation(&photo));
    assert!(
        after > 0.75 * before,
        "colour spread on the person {after:.1} vs photo {before:.1}"
    );
}

/// Mean absolute difference between a pixel's lightness and its 3 × 3 neighbourhood's, over
/// the face's skin (the oval shrunk to 70% about its centre, less the eyes, brows and lips).
fn fine_detail_on_skin(img: &RgbImage, face: &Face) -> f64 {
    let (w, h) = img.dimensions();
    let outline = face.outline(FaceRegion::Oval).expect("a mesh");
    let n = outline.len() as f32;
    let c = [
        outline.iter().map(|p| p[0]).sum::<f32>() / n,
        outline.iter().map(|p| p[1]).sum::<f32>() / n,
    ];
    let inner: Vec<[f32; 2]> = outline
        .iter()
        .map(|p| [c[0] + (p[0] - c[0]) * 0.7, c[1] + (p[1] - c[1]) * 0.7])
        .collect();
    let mut skin = Mask::filled(w, h, 0.0);
    skin.fill_polygon(&inner, 0.0);
    let mut features = Mask::filled(w, h, 0.0);
    for region in [
        FaceRegion::RightEye,
        FaceRegion::LeftEye,
        FaceRegion::RightBrow,
        FaceRegion::LeftBrow,
        FaceRegion::Lips,
    ] {
        if let Some(outline) = face.outline(region) {
            features.fill_polygon(&outline, 4.0);
        }
    }
    let l = |x: u32, y: u32| {
        let p = img.get_pixel(x.min(w - 1), y.min(h - 1)).0;
        0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
    };
    let (mut sum, mut count) = (0f64, 0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = (y * w + x) as usize;
            if skin.data[i] < 1.0 || features.data[i] > 0.0 {
                continue;
            }
            let mut mean = 0.0;
            for dy in 0..3 {
                for dx in 0..3 {
                    mean += l(x + dx - 1, y + dy - 1);
                }
            }
            sum += (l(x, y) - mean / 9.0).abs();
            count += 1.0;
        }
    }
    assert!(count > 2000.0, "{count} skin pixels");
    sum / count
}

#[test]
fn painting_blends_the_skin_instead_of_ruling_it_with_bristle_lines() {
    // Bristle grooves on every stroke drew fine regular lines over the face, more fine detail
    // than the photo itself has (6.1 against 3.4 on this measure); a painter blends skin:
    // grooves only where they are wider than a few pixels, shallow on the face, and little
    // canvas showing through the face's paint.
    let (photo, portrait) = astronaut();
    let out = stylize_portrait(&photo, &portrait, Style::Artistic, &Params::default());
    let face = &portrait.faces[0];
    let (painted, original) = (
        fine_detail_on_skin(&out, face),
        fine_detail_on_skin(&photo, face),
    );
    eprintln!("artistic skin: fine detail {painted:.3}, photo {original:.3}");
    assert!(
        painted < original,
        "fine detail on the skin {painted:.3} against the photo's {original:.3}"
    );
}

#[test]
fn watercolor_washes_round_the_sitter_and_thins_into_paper_towards_the_borders() {
    // A portrait is washed in from the sitter outwards: next to the person the background
    // keeps its wash (the flags stay), far from them the paper shows. Open patches scattered
    // anywhere used to leave holes beside the face and paper as often near as far.
    let (photo, portrait) = astronaut();
    let out = render(&photo, &portrait, Style::LightColor, 0.5);
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let person: Vec<(f32, f32)> = (0..w * h)
        .filter(|&i| (i / w) % 4 == 0 && (i % w) % 4 == 0 && portrait.person.data[i] >= 0.5)
        .map(|i| ((i % w) as f32, (i / w) as f32))
        .collect();
    assert!(person.len() > 1000, "the person covers the photo");
    let (mut near, mut far) = ((0u32, 0u32), (0u32, 0u32));
    for y in (0..h).step_by(3) {
        for x in (0..w).step_by(3) {
            let i = y * w + x;
            if portrait.person.data[i] >= 0.05 {
                continue;
            }
            let d = person
                .iter()
                .map(|&(px, py)| (px - x as f32).hypot(py - y as f32))
                .fold(f32::MAX, f32::min);
            let white = out.as_raw()[i * 3..i * 3 + 3].iter().all(|&v| v >= 232);
            let bucket = if d < 0.06 * w as f32 {
                &mut near
            } else if d > 0.2 * w as f32 {
                &mut far
            } else {
                continue;
            };
            bucket.0 += u32::from(white);
            bucket.1 += 1;
        }
    }
    assert!(
        near.1 > 200 && far.1 > 200,
        "near {} and far {} samples",
        near.1,
        far.1
    );
    let (near, far) = (
        f64::from(near.0) / f64::from(near.1),
        f64::from(far.0) / f64::from(far.1),
    );
    eprintln!("watercolor paper: {near:.2} next to the sitter, {far:.2} far from them");
    assert!(near < 0.25, "paper next to the sitter {near:.2}");
    assert!(
        far > near + 0.4,
        "paper far away {far:.2}, next to the sitter {near:.2}"
    );
}

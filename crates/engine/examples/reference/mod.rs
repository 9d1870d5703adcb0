//! Development aid shared by examples: loads a photo with the reference runtime's analysis
//! (person mask PNG and 468-point mesh text, written by mediapipe in Python), so a style can be
//! tuned against known-good masks. Not used by the product.

use std::path::Path;

use atelier_engine::{Face, FaceBox, Limits, Mask, Portrait, RgbImage, decode};

/// Reads `DIR/NAME.png`, `DIR/NAME.mask.png` and `DIR/NAME.mesh.txt` (468 lines of `x y z` per
/// face, faces separated by a blank line).
pub fn load(dir: &Path, name: &str) -> Result<(RgbImage, Portrait), Box<dyn std::error::Error>> {
    let photo = decode(
        &std::fs::read(dir.join(format!("{name}.png")))?,
        &Limits::default(),
    )?
    .image;
    let mask_img = image::open(dir.join(format!("{name}.mask.png")))?.to_luma8();
    let mask_img = image::imageops::resize(
        &mask_img,
        photo.width(),
        photo.height(),
        image::imageops::FilterType::Triangle,
    );
    let person = Mask {
        width: photo.width(),
        height: photo.height(),
        data: mask_img
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect(),
    };
    let text = std::fs::read_to_string(dir.join(format!("{name}.mesh.txt")))?;
    let mut faces = Vec::new();
    for block in text.split("\n\n") {
        let mesh: Vec<[f32; 3]> = block
            .lines()
            .filter_map(|l| {
                let v: Vec<f32> = l
                    .split_whitespace()
                    .filter_map(|t| t.parse().ok())
                    .collect();
                (v.len() == 3).then(|| [v[0], v[1], v[2]])
            })
            .collect();
        if mesh.len() < 468 {
            continue;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in &mesh {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        let pt = |i: usize| [mesh[i][0], mesh[i][1]];
        faces.push(Face {
            bbox: FaceBox {
                x: x0.max(0.0) as u32,
                y: y0.max(0.0) as u32,
                width: (x1 - x0).max(1.0) as u32,
                height: (y1 - y0).max(1.0) as u32,
                score: 1.0,
            },
            // Eye centres, nose tip, mouth centre, ear tragions from the mesh.
            keypoints: [pt(33), pt(263), pt(1), pt(13), pt(234), pt(454)],
            mesh,
        });
        let f = faces.last_mut().expect("just pushed");
        let avg = |a: usize, b: usize| {
            [
                (f.mesh[a][0] + f.mesh[b][0]) / 2.0,
                (f.mesh[a][1] + f.mesh[b][1]) / 2.0,
            ]
        };
        f.keypoints[0] = avg(33, 133);
        f.keypoints[1] = avg(263, 362);
    }
    faces.sort_by_key(|f| std::cmp::Reverse(f.bbox.area()));
    Ok((photo, Portrait { faces, person }))
}

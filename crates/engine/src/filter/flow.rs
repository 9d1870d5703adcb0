//! Local orientation: the smoothed structure tensor and the edge tangent flow derived from it
//! (Kang 2007; Kyprianidis 2009), and the difference of Gaussians the line styles threshold.
//! Line styles smooth their DoG along the flow (`directional`) to turn noisy responses into
//! coherent strokes; the painterly style uses the orientation and anisotropy.

use crate::raster::{Raster, gaussian_blur};

/// Scharr gradients of a gray plane, as a two-channel raster `(gx, gy)`.
pub fn scharr(gray: &Raster) -> Raster {
    let (w, h) = (gray.w, gray.h);
    Raster::from_rows(w, h, 2, |y, out| {
        let up = gray.row(y.saturating_sub(1));
        let mid = gray.row(y);
        let down = gray.row((y + 1).min(h - 1));
        for x in 0..w {
            let l = x.saturating_sub(1);
            let r = (x + 1).min(w - 1);
            let gx = 3.0 * (up[r] - up[l]) + 10.0 * (mid[r] - mid[l]) + 3.0 * (down[r] - down[l]);
            let gy = 3.0 * (down[l] - up[l]) + 10.0 * (down[x] - up[x]) + 3.0 * (down[r] - up[r]);
            out[2 * x] = gx * (1.0 / 32.0);
            out[2 * x + 1] = gy * (1.0 / 32.0);
        }
    })
}

/// Per pixel: the unit tangent (along edges, across the gradient) and the anisotropy
/// `(λ1 − λ2)/(λ1 + λ2)` in 0..1, from the structure tensor smoothed with `sigma`.
/// Channels: `tx, ty, anisotropy`.
pub fn tangent_field(gray: &Raster, sigma: f32) -> Raster {
    let grad = scharr(gray);
    let tensor = Raster::from_rows(gray.w, gray.h, 3, |y, out| {
        for (o, g) in out.chunks_exact_mut(3).zip(grad.row(y).chunks_exact(2)) {
            o[0] = g[0] * g[0];
            o[1] = g[0] * g[1];
            o[2] = g[1] * g[1];
        }
    });
    let tensor = gaussian_blur(&tensor, sigma);
    Raster::from_rows(gray.w, gray.h, 3, |y, out| {
        for (o, t) in out.chunks_exact_mut(3).zip(tensor.row(y).chunks_exact(3)) {
            let (e, f, g) = (t[0], t[1], t[2]);
            let root = ((e - g) * (e - g) + 4.0 * f * f).sqrt();
            let l1 = 0.5 * (e + g + root);
            let l2 = 0.5 * (e + g - root);
            // Minor eigenvector: perpendicular to the dominant gradient direction.
            let (tx, ty) = (-f, l1 - g);
            let n = (tx * tx + ty * ty).sqrt();
            if n > 1e-12 {
                o[0] = tx / n;
                o[1] = ty / n;
            } else if e >= g {
                // Flat or purely horizontal-gradient areas: the tangent is vertical.
                o[0] = 0.0;
                o[1] = 1.0;
            } else {
                o[0] = 1.0;
                o[1] = 0.0;
            }
            o[2] = if l1 + l2 > 1e-12 {
                (l1 - l2) / (l1 + l2)
            } else {
                0.0
            };
        }
    })
}

/// Difference of Gaussians `a·G_σ − b·G_kσ` of a plane, with `[a, b]` = `weights`: XDoG's
/// sharpened image is `[1 + p, p]`, the classic DoG edge response `[1, τ]`.
pub fn difference_of_gaussians(gray: &Raster, sigma: f32, k: f32, weights: [f32; 2]) -> Raster {
    let [a, b] = weights;
    let narrow = gaussian_blur(gray, sigma);
    let wide = gaussian_blur(gray, sigma * k);
    Raster::from_rows(gray.w, gray.h, 1, |y, out| {
        for ((o, &n), &wd) in out.iter_mut().zip(narrow.row(y)).zip(wide.row(y)) {
            *o = a * n - b * wd;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tangent_runs_along_a_vertical_edge() {
        let (w, h) = (32, 32);
        let mut gray = Raster::new(w, h, 1);
        for y in 0..h {
            for x in 0..w {
                gray.data[y * w + x] = if x < 16 { 0.0 } else { 1.0 };
            }
        }
        let field = tangent_field(&gray, 2.0);
        let i = (16 * w + 16) * 3;
        assert!(field.data[i].abs() < 0.05, "tx {}", field.data[i]);
        assert!(field.data[i + 1].abs() > 0.95, "ty {}", field.data[i + 1]);
        assert!(field.data[i + 2] > 0.9, "anisotropy {}", field.data[i + 2]);
    }
}

//! Planar and interleaved f32 rasters and the separable building blocks the styles share:
//! conversion from and to 8-bit sRGB, half-resolution resampling, Gaussian blur and transpose.
//!
//! Everything here is row-parallel with rayon and deterministic: each output value depends only
//! on the input, never on how rows were split across threads. Inner loops run over plain slices
//! with fixed offsets so the compiler can vectorise them across x.

use rayon::prelude::*;

use crate::RgbImage;

/// Rows handed to one rayon task at a time: large enough to amortise scheduling, small enough
/// to balance two to sixteen cores on a 1–4 MP image.
const ROWS_PER_TASK: usize = 16;

/// A `w × h` raster with `c` interleaved f32 channels (1 for gray planes, 2 for vector fields,
/// 3 for colour), stored row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    pub w: usize,
    pub h: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Raster {
    pub fn new(w: usize, h: usize, c: usize) -> Raster {
        Raster {
            w,
            h,
            c,
            data: vec![0.0; w * h * c],
        }
    }

    /// Number of f32 values in one row.
    #[inline]
    pub fn stride(&self) -> usize {
        self.w * self.c
    }

    #[inline]
    pub fn row(&self, y: usize) -> &[f32] {
        let s = self.stride();
        &self.data[y * s..(y + 1) * s]
    }

    /// Bilinear sample of channel `ch` at a real-valued position, clamped at the borders.
    #[inline]
    pub fn sample(&self, x: f32, y: f32, ch: usize) -> f32 {
        let xf = x.clamp(0.0, (self.w - 1) as f32);
        let yf = y.clamp(0.0, (self.h - 1) as f32);
        let x0 = xf as usize;
        let y0 = yf as usize;
        let x1 = (x0 + 1).min(self.w - 1);
        let y1 = (y0 + 1).min(self.h - 1);
        let fx = xf - x0 as f32;
        let fy = yf - y0 as f32;
        let c = self.c;
        let top = self.data[(y0 * self.w + x0) * c + ch] * (1.0 - fx)
            + self.data[(y0 * self.w + x1) * c + ch] * fx;
        let bottom = self.data[(y1 * self.w + x0) * c + ch] * (1.0 - fx)
            + self.data[(y1 * self.w + x1) * c + ch] * fx;
        top + (bottom - top) * fy
    }

    /// Applies `f` to every row in parallel; `f` gets the row index and the row's values.
    pub fn par_rows_mut(&mut self, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
        let s = self.stride();
        self.data
            .par_chunks_mut(s * ROWS_PER_TASK)
            .enumerate()
            .for_each(|(chunk, rows)| {
                for (i, row) in rows.chunks_exact_mut(s).enumerate() {
                    f(chunk * ROWS_PER_TASK + i, row);
                }
            });
    }

    /// Builds a new raster row by row in parallel.
    pub fn from_rows(
        w: usize,
        h: usize,
        c: usize,
        f: impl Fn(usize, &mut [f32]) + Sync + Send,
    ) -> Raster {
        let mut out = Raster::new(w, h, c);
        out.par_rows_mut(f);
        out
    }

    /// Splits channel `ch` out into its own plane.
    pub fn channel(&self, ch: usize) -> Raster {
        let c = self.c;
        Raster::from_rows(self.w, self.h, 1, |y, out| {
            for (o, px) in out.iter_mut().zip(self.row(y).chunks_exact(c)) {
                *o = px[ch];
            }
        })
    }
}

/// 8-bit sRGB → three interleaved channels in 0..1 (still gamma-encoded: the styles are
/// perceptual effects and want perceptual steps).
pub fn from_rgb8(image: &RgbImage) -> Raster {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    Raster::from_rows(w, h, 3, |y, out| {
        let row = &src[y * w * 3..(y + 1) * w * 3];
        for (o, &v) in out.iter_mut().zip(row) {
            *o = f32::from(v) * (1.0 / 255.0);
        }
    })
}

/// Three channels in 0..1 → 8-bit sRGB, clamped and rounded; NaN becomes 0.
pub fn to_rgb8(raster: &Raster) -> RgbImage {
    debug_assert_eq!(raster.c, 3);
    let (w, h) = (raster.w, raster.h);
    let mut bytes = vec![0u8; w * h * 3];
    bytes
        .par_chunks_mut(w * 3 * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(chunk, rows)| {
            let start = chunk * ROWS_PER_TASK * w * 3;
            let src = &raster.data[start..start + rows.len()];
            for (o, &v) in rows.iter_mut().zip(src) {
                // `as u8` saturates and maps NaN to 0, which is what we want at the edge.
                *o = (v * 255.0 + 0.5) as u8;
            }
        });
    RgbImage::from_raw(w as u32, h as u32, bytes).unwrap_or_else(|| RgbImage::new(0, 0))
}

/// A gray plane, replicated into three channels.
pub fn gray_to_rgb(gray: &Raster) -> Raster {
    Raster::from_rows(gray.w, gray.h, 3, |y, out| {
        for (o, &g) in out.chunks_exact_mut(3).zip(gray.row(y)) {
            o.fill(g);
        }
    })
}

/// Rec. 709 luma of gamma-encoded RGB, 0..1.
pub fn luma(rgb: &Raster) -> Raster {
    Raster::from_rows(rgb.w, rgb.h, 1, |y, out| {
        for (o, px) in out.iter_mut().zip(rgb.row(y).chunks_exact(3)) {
            *o = 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
        }
    })
}

/// CIE L* (0..100) of sRGB input, through lookup tables: the sRGB decode per channel and the
/// cube-root companding of Y are both tabulated, so a pixel costs three loads and a lerp.
pub fn lightness(image: &RgbImage) -> Raster {
    let decode: Vec<f32> = (0..256)
        .map(|v| {
            let c = v as f32 / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        })
        .collect();
    const STEPS: usize = 4096;
    let compand: Vec<f32> = (0..=STEPS + 1)
        .map(|i| {
            let t = (i.min(STEPS)) as f32 / STEPS as f32;
            let f = if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            };
            116.0 * f - 16.0
        })
        .collect();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    Raster::from_rows(w, h, 1, |y, out| {
        let row = &src[y * w * 3..(y + 1) * w * 3];
        for (o, px) in out.iter_mut().zip(row.chunks_exact(3)) {
            let lum = 0.2126 * decode[px[0] as usize]
                + 0.7152 * decode[px[1] as usize]
                + 0.0722 * decode[px[2] as usize];
            let pos = lum.clamp(0.0, 1.0) * STEPS as f32;
            let i = pos as usize;
            let f = pos - i as f32;
            *o = compand[i] + (compand[i + 1] - compand[i]) * f;
        }
    })
}

/// Halves both dimensions (rounding up) by averaging 2×2 blocks.
pub fn downsample2(src: &Raster) -> Raster {
    let (w, h, c) = ((src.w + 1) / 2, (src.h + 1) / 2, src.c);
    Raster::from_rows(w, h, c, |y, out| {
        let r0 = src.row((2 * y).min(src.h - 1));
        let r1 = src.row((2 * y + 1).min(src.h - 1));
        for x in 0..w {
            let x0 = 2 * x;
            let x1 = (2 * x + 1).min(src.w - 1);
            for ch in 0..c {
                out[x * c + ch] =
                    0.25 * (r0[x0 * c + ch] + r0[x1 * c + ch] + r1[x0 * c + ch] + r1[x1 * c + ch]);
            }
        }
    })
}

/// Bilinear resampling of `src` to `w × h`, pixel centres aligned (used to bring
/// half-resolution results back to full size).
pub fn resize_bilinear(src: &Raster, w: usize, h: usize) -> Raster {
    let c = src.c;
    let sx = src.w as f32 / w as f32;
    let sy = src.h as f32 / h as f32;
    // Horizontal taps are the same for every row: compute them once.
    let taps: Vec<(usize, usize, f32)> = (0..w)
        .map(|x| {
            let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (src.w - 1) as f32);
            let x0 = fx as usize;
            (x0, (x0 + 1).min(src.w - 1), fx - x0 as f32)
        })
        .collect();
    Raster::from_rows(w, h, c, |y, out| {
        let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (src.h - 1) as f32);
        let y0 = fy as usize;
        let y1 = (y0 + 1).min(src.h - 1);
        let wy = fy - y0 as f32;
        let (r0, r1) = (src.row(y0), src.row(y1));
        for (o, &(x0, x1, wx)) in out.chunks_exact_mut(c).zip(&taps) {
            for ch in 0..c {
                let top = r0[x0 * c + ch] + (r0[x1 * c + ch] - r0[x0 * c + ch]) * wx;
                let bottom = r1[x0 * c + ch] + (r1[x1 * c + ch] - r1[x0 * c + ch]) * wx;
                o[ch] = top + (bottom - top) * wy;
            }
        }
    })
}

/// Normalised Gaussian taps for `sigma`, radius ⌈3σ⌉.
pub fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let sigma = sigma.max(0.05);
    let r = (3.0 * sigma).ceil() as isize;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// Separable Gaussian blur of every channel.
pub fn gaussian_blur(src: &Raster, sigma: f32) -> Raster {
    let k = gaussian_kernel(sigma);
    convolve_separable(src, &k)
}

/// Convolves rows then columns with the same symmetric kernel, borders clamped.
pub fn convolve_separable(src: &Raster, k: &[f32]) -> Raster {
    let r = k.len() / 2;
    let (w, h, c) = (src.w, src.h, src.c);
    let s = src.stride();
    // Rows: copy each row into a clamped, padded scratch so the tap loop has no branches.
    let mut tmp = Raster::new(w, h, c);
    tmp.data
        .par_chunks_mut(s * ROWS_PER_TASK)
        .enumerate()
        .for_each_init(
            || vec![0f32; (w + 2 * r) * c],
            |pad, (chunk, rows)| {
                for (i, out) in rows.chunks_exact_mut(s).enumerate() {
                    let row = src.row(chunk * ROWS_PER_TASK + i);
                    for x in 0..w + 2 * r {
                        let sx = x.saturating_sub(r).min(w - 1);
                        pad[x * c..(x + 1) * c].copy_from_slice(&row[sx * c..(sx + 1) * c]);
                    }
                    out.fill(0.0);
                    for (t, &kt) in k.iter().enumerate() {
                        let shifted = &pad[t * c..t * c + s];
                        for (o, &v) in out.iter_mut().zip(shifted) {
                            *o += kt * v;
                        }
                    }
                }
            },
        );
    // Columns: each output row is a weighted sum of whole input rows, which vectorises.
    Raster::from_rows(w, h, c, |y, out| {
        out.fill(0.0);
        for (t, &kt) in k.iter().enumerate() {
            let sy = (y + t).saturating_sub(r).min(h - 1);
            for (o, &v) in out.iter_mut().zip(tmp.row(sy)) {
                *o += kt * v;
            }
        }
    })
}

/// Swaps rows and columns (pixels keep their channels together).
pub fn transpose(src: &Raster) -> Raster {
    const BLOCK: usize = 32;
    let (w, h, c) = (src.w, src.h, src.c);
    let mut out = Raster::new(h, w, c);
    let out_stride = h * c;
    // Each task owns BLOCK output rows (= BLOCK source columns) and walks all source rows.
    out.data
        .par_chunks_mut(out_stride * BLOCK)
        .enumerate()
        .for_each(|(block, rows)| {
            let x0 = block * BLOCK;
            let n = rows.len() / out_stride;
            for y in 0..h {
                let src_row = &src.row(y)[x0 * c..(x0 + n) * c];
                for (dx, px) in src_row.chunks_exact(c).enumerate() {
                    let o = dx * out_stride + y * c;
                    rows[o..o + c].copy_from_slice(px);
                }
            }
        });
    out
}

#[inline]
pub fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: usize, h: usize, c: usize) -> Raster {
        let mut r = Raster::new(w, h, c);
        for (i, v) in r.data.iter_mut().enumerate() {
            *v = (i % 97) as f32 / 97.0;
        }
        r
    }

    #[test]
    fn transpose_twice_is_identity() {
        let r = ramp(37, 53, 3);
        assert_eq!(transpose(&transpose(&r)), r);
        let t = transpose(&r);
        assert_eq!(t.data[(5 * t.w + 7) * 3 + 1], r.data[(7 * r.w + 5) * 3 + 1]);
    }

    #[test]
    fn blur_keeps_a_constant_image_constant() {
        let mut r = Raster::new(40, 30, 1);
        r.data.fill(0.25);
        let b = gaussian_blur(&r, 2.5);
        assert!(b.data.iter().all(|v| (v - 0.25).abs() < 1e-5));
    }

    #[test]
    fn bilinear_resize_of_half_size_returns_full_size() {
        let r = ramp(33, 21, 3);
        let small = downsample2(&r);
        assert_eq!((small.w, small.h), (17, 11));
        let back = resize_bilinear(&small, 33, 21);
        assert_eq!((back.w, back.h, back.c), (33, 21, 3));
    }

    #[test]
    fn lightness_spans_zero_to_a_hundred() {
        let img = RgbImage::from_fn(2, 1, |x, _| image::Rgb([if x == 0 { 0 } else { 255 }; 3]));
        let l = lightness(&img);
        assert!(l.data[0].abs() < 0.01);
        assert!((l.data[1] - 100.0).abs() < 0.05);
    }
}

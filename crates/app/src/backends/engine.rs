//! The built-in engine as a back-end: no model, no network, deterministic.

use async_trait::async_trait;
use atelier_engine::{Params, Style};

use super::{Backend, BackendError, Generated, Generation};

pub struct EngineBackend {
    pub style: Style,
}

#[async_trait]
impl Backend for EngineBackend {
    async fn generate(&self, request: &Generation<'_>) -> Result<Generated, BackendError> {
        let photo = request
            .photo
            .ok_or_else(|| BackendError::Failed("this style needs a photo".into()))?
            .to_vec();
        let limits = request.limits.clone();
        let (style, params) = (
            self.style,
            Params {
                intensity: request.intensity,
                seed: request.seed,
            },
        );
        let image = tokio::task::spawn_blocking(move || {
            let decoded = atelier_engine::decode(&photo, &limits).map_err(|e| e.to_string())?;
            Ok::<_, String>(atelier_engine::stylize(&decoded.image, style, &params))
        })
        .await
        .map_err(|e| BackendError::Failed(e.to_string()))?
        .map_err(BackendError::Failed)?;
        Ok(Generated::Image(image))
    }
}

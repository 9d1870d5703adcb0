//! The style catalog: the six built-in engine styles (always there, no config) and the
//! operator's `[[styles]]`, each bound to its back-end and that back-end's [`Guard`]. Built
//! once at start-up; every misfit (unknown back-end, unreadable model, bad id) is an error
//! naming the style, so a node never starts with a catalog that fails at the first job.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use atelier_engine::Style;

use super::automatic1111::{Automatic1111Api, Automatic1111Style};
use super::engine::EngineBackend;
use super::openai::{OpenAiApi, OpenAiStyle};
use super::{Backend, Guard};
use crate::config::{BackendConfig, BackendKind, BackendLimits, Config, InputKind, StyleConfig};

/// One style users can pick.
pub struct CatalogStyle {
    pub id: String,
    /// The engine style, for the six built-in ones (their texts are in the Fluent files).
    pub builtin: Option<Style>,
    labels: BTreeMap<String, String>,
    descriptions: BTreeMap<String, String>,
    description: String,
    pub cost: u32,
    pub input: InputKind,
    pub backend: Arc<dyn Backend>,
    pub guard: Arc<Guard>,
}

impl CatalogStyle {
    /// The name in `lang` (a tag like `ja` or `en-US`): that tag, then its language, then
    /// English, then any.
    pub fn label(&self, lang: &str) -> String {
        pick(&self.labels, lang).unwrap_or_else(|| self.id.clone())
    }

    pub fn description(&self, lang: &str) -> String {
        pick(&self.descriptions, lang).unwrap_or_else(|| self.description.clone())
    }

    /// Its back-end is configured and its breaker closed.
    pub fn available(&self) -> bool {
        self.guard.healthy()
    }
}

fn pick(texts: &BTreeMap<String, String>, lang: &str) -> Option<String> {
    let language = lang.split('-').next().unwrap_or(lang);
    texts
        .get(lang)
        .or_else(|| {
            texts
                .iter()
                .find(|(tag, _)| tag.split('-').next() == Some(language))
                .map(|(_, text)| text)
        })
        .or_else(|| texts.get("en-US"))
        .or_else(|| texts.get("en"))
        .or_else(|| texts.values().next())
        .cloned()
}

pub struct Catalog {
    styles: Vec<Arc<CatalogStyle>>,
}

/// English names of the built-in styles, for the API (pages use the Fluent files).
pub fn builtin_name(style: Style) -> &'static str {
    match style {
        Style::RoughSketch => "Rough sketch",
        Style::DetailedSketch => "Detailed sketch",
        Style::LightColor => "Light watercolor",
        Style::Artistic => "Artistic",
        Style::Anime => "Anime",
        Style::Clay3d => "Clay 3D",
    }
}

/// The engine needs no breaker, retries or time limit: its failures are the input's.
fn engine_limits() -> BackendLimits {
    BackendLimits {
        timeout: Duration::from_secs(24 * 3600),
        retries: 0,
        max_concurrency: tokio::sync::Semaphore::MAX_PERMITS,
        breaker_threshold: u32::MAX,
        ..BackendLimits::default()
    }
}

/// The ONNX runner without a `[backends.onnx]` section: one network at a time (it uses
/// every core), no retries (a timed-out run keeps its thread busy).
fn onnx_limits() -> BackendLimits {
    BackendLimits {
        timeout: Duration::from_secs(300),
        retries: 0,
        max_concurrency: 1,
        ..BackendLimits::default()
    }
}

impl Catalog {
    /// The six engine styles at `cost` tokens each.
    pub fn builtin(cost: u32) -> Catalog {
        let guard = Arc::new(Guard::new("engine", engine_limits()));
        let styles = Style::ALL
            .into_iter()
            .map(|style| {
                Arc::new(CatalogStyle {
                    id: style.id().to_owned(),
                    builtin: Some(style),
                    labels: BTreeMap::from([("en-US".into(), builtin_name(style).into())]),
                    descriptions: BTreeMap::new(),
                    description: style.description().to_owned(),
                    cost,
                    input: InputKind::Photo,
                    backend: Arc::new(EngineBackend { style }),
                    guard: guard.clone(),
                })
            })
            .collect();
        Catalog { styles }
    }

    /// The built-in styles plus the configured ones. Loads ONNX models now.
    pub fn from_config(config: &Config) -> Result<Catalog, String> {
        let mut catalog = Catalog::builtin(config.tokens.default_cost);
        let mut builder = Builder {
            config,
            guards: HashMap::new(),
            a1111: HashMap::new(),
            openai: HashMap::new(),
        };
        for style in &config.styles {
            let entry = builder
                .style(style, &catalog)
                .map_err(|e| format!("style `{}`: {e}", style.id))?;
            catalog.styles.push(Arc::new(entry));
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&Arc<CatalogStyle>> {
        self.styles.iter().find(|s| s.id == id)
    }

    /// Every style, in catalog order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<CatalogStyle>> {
        self.styles.iter()
    }

    /// The styles users may pick now: configured and healthy.
    pub fn available(&self) -> impl Iterator<Item = &Arc<CatalogStyle>> {
        self.styles.iter().filter(|s| s.available())
    }
}

struct Builder<'a> {
    config: &'a Config,
    guards: HashMap<String, Arc<Guard>>,
    a1111: HashMap<String, Arc<Automatic1111Api>>,
    openai: HashMap<String, Arc<OpenAiApi>>,
}

impl Builder<'_> {
    fn guard(&mut self, name: &str, limits: BackendLimits) -> Arc<Guard> {
        self.guards
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Guard::new(name, limits)))
            .clone()
    }

    fn style(&mut self, style: &StyleConfig, catalog: &Catalog) -> Result<CatalogStyle, String> {
        let id = &style.id;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("an id is 1–64 lowercase letters, digits and `-`".into());
        }
        if catalog.get(id).is_some() {
            return Err("the id is taken (by a built-in style or an earlier [[styles]])".into());
        }
        if style.labels.is_empty() {
            return Err("give at least one label (`labels = { en-US = \"…\" }`)".into());
        }
        if style.strength.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
            return Err("`strength` must be between 0 and 1".into());
        }
        let section = self.config.backends.get(&style.backend);
        let kind = match (section, style.backend.as_str()) {
            (Some(section), _) => section.kind,
            (None, "onnx") => BackendKind::Onnx,
            (None, name) => {
                return Err(format!(
                    "back-end `{name}` is not configured (add [backends.{name}])"
                ));
            }
        };
        let max_answer = self.config.uploads.max_bytes.saturating_mul(2);
        let name = style.backend.as_str();
        let (backend, guard): (Arc<dyn Backend>, Arc<Guard>) = match (kind, section) {
            (BackendKind::Onnx, section) => {
                if style.input != InputKind::Photo {
                    return Err("ONNX styles take a photo: set `input = \"photo\"`".into());
                }
                let limits = section.map_or_else(onnx_limits, BackendConfig::limits);
                (onnx_backend(style)?, self.guard(name, limits))
            }
            (BackendKind::Automatic1111, Some(section)) => {
                let api = match self.a1111.get(name) {
                    Some(api) => api.clone(),
                    None => {
                        let api = Arc::new(
                            Automatic1111Api::new(section, max_answer)
                                .map_err(|e| format!("[backends.{name}]: {e}"))?,
                        );
                        self.a1111.insert(name.to_owned(), api.clone());
                        api
                    }
                };
                let backend = Automatic1111Style {
                    api,
                    style: style.clone(),
                };
                (Arc::new(backend), self.guard(name, section.limits()))
            }
            (BackendKind::Openai, Some(section)) => {
                let api = match self.openai.get(name) {
                    Some(api) => api.clone(),
                    None => {
                        let api = Arc::new(
                            OpenAiApi::new(section, max_answer)
                                .map_err(|e| format!("[backends.{name}]: {e}"))?,
                        );
                        self.openai.insert(name.to_owned(), api.clone());
                        api
                    }
                };
                let backend = OpenAiStyle {
                    api,
                    style: style.clone(),
                };
                (Arc::new(backend), self.guard(name, section.limits()))
            }
            (_, None) => return Err(format!("back-end `{name}` is not configured")),
        };
        Ok(CatalogStyle {
            id: id.clone(),
            builtin: None,
            labels: style.labels.clone(),
            descriptions: style.descriptions.clone(),
            description: style.description.clone(),
            cost: style.cost.unwrap_or(self.config.tokens.default_cost),
            input: style.input,
            backend,
            guard,
        })
    }
}

#[cfg(feature = "onnx")]
fn onnx_backend(style: &StyleConfig) -> Result<Arc<dyn Backend>, String> {
    let path = style
        .model
        .as_deref()
        .ok_or("ONNX styles need `model = \"/path/to/model.onnx\"`")?;
    let model = super::onnx::OnnxModel::load(path, &style.onnx)?;
    Ok(Arc::new(super::onnx::OnnxBackend {
        model: Arc::new(model),
    }))
}

#[cfg(not(feature = "onnx"))]
fn onnx_backend(_style: &StyleConfig) -> Result<Arc<dyn Backend>, String> {
    Err("this build has no ONNX support (cargo feature `onnx`)".into())
}

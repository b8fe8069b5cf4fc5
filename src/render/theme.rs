//! The HTML templates: built into the binary, each replaceable by a file of the same name
//! in a `--theme` folder. Templates are minijinja with HTML auto-escaping for `.html`
//! files; runbook text reaches them only as values, never as template source.

use std::path::{Path, PathBuf};

use minijinja::{Environment, syntax::SyntaxConfig};

/// The built-in templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("page.html", include_str!("../../templates/page.html")),
    ("toc.html", include_str!("../../templates/toc.html")),
    ("about.html", include_str!("../../templates/about.html")),
    ("step.html", include_str!("../../templates/step.html")),
    ("action.html", include_str!("../../templates/action.html")),
    ("style.css", include_str!("../../templates/style.css")),
    ("copy.js", include_str!("../../templates/copy.js")),
    ("mdbook.css", include_str!("../../templates/mdbook.css")),
];

/// A theme that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme folder `{}` does not exist or is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("cannot read `{}`: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("template `{}`: {error}", path.display())]
    Template {
        path: PathBuf,
        error: minijinja::Error,
    },
}

/// The templates a page is rendered with.
pub struct Theme {
    env: Environment<'static>,
    /// The `--theme` folder, if any (for messages).
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme").field("dir", &self.dir).finish()
    }
}

impl Theme {
    /// The built-in templates.
    pub fn builtin() -> Theme {
        Theme::load(None).expect("the built-in templates compile")
    }

    /// The built-in templates, with any file of the same name in `dir` used instead.
    /// Other files in `dir` can be included by name from the templates.
    pub fn load(dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let mut env = Environment::new();
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("valid syntax config"),
        );
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(ThemeError::NotAFolder(dir.to_path_buf()));
        }
        for (name, builtin) in TEMPLATES {
            let (source, path) = match dir.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => {
                    let text =
                        std::fs::read_to_string(&path).map_err(|error| ThemeError::Read {
                            path: path.clone(),
                            error,
                        })?;
                    (text, path)
                }
                _ => (builtin.to_string(), Path::new("templates").join(name)),
            };
            env.add_template_owned(*name, source)
                .map_err(|error| ThemeError::Template { path, error })?;
        }
        if let Some(dir) = dir {
            let dir = dir.to_path_buf();
            env.set_loader(move |name| {
                let plain =
                    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
                if !plain {
                    return Ok(None);
                }
                match std::fs::read_to_string(dir.join(name)) {
                    Ok(text) => Ok(Some(text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(error) => Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read template `{name}`"),
                    )
                    .with_source(error)),
                }
            });
        }
        Ok(Theme {
            env,
            dir: dir.map(Path::to_path_buf),
        })
    }

    /// Render one template with a context.
    pub fn render(
        &self,
        name: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }

    /// Where a template comes from, for error messages.
    pub fn origin(&self, name: &str) -> PathBuf {
        match &self.dir {
            Some(dir) if dir.join(name).is_file() => dir.join(name),
            _ => Path::new("templates").join(name),
        }
    }
}

//! `runbook lsp`: a Language Server over stdio, so an editor shows `runbook check`'s
//! diagnostics as a guide is typed ([`diagnostics`]), and offers hover ([`hover`]),
//! completion ([`completion`]), definition, references and rename of block ids
//! ([`navigation`]) and an outline ([`symbols`]). Positions are converted in [`lines`].
//!
//! Synchronous: lsp-server's two threads read and write the framed messages, this loop
//! answers them in order. Every answer is computed from the open document's text alone (parse, bind,
//! check); nothing here calls AWS, the network or a subprocess, so nothing blocks.
//!
//! A part above bind: it uses parse and bind; no stage uses it.

pub mod completion;
pub mod diagnostics;
pub mod documents;
pub mod hover;
pub mod lines;
pub mod navigation;
pub mod outline;
pub mod symbols;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, References, Rename,
    Request as _,
};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};

use crate::lsp::documents::{Documents, Open};

/// Why the server stopped other than by the client's `shutdown` and `exit`.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    #[error("the language server protocol failed: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    #[error("could not send to the editor: the connection is closed")]
    Closed,
    #[error("reading from or writing to the editor failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What the server offers (positions in UTF-16, the protocol's default).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "`".into(), " ".into(), "{".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// `runbook lsp`: serve on stdin and stdout until the editor says `exit`.
pub fn serve_stdio() -> Result<(), LspError> {
    let (connection, threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    threads.join()?;
    Ok(())
}

/// The initialize handshake, then requests and notifications until `shutdown`.
pub fn serve(connection: &Connection) -> Result<(), LspError> {
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "runbook".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    let result = serde_json::to_value(result).expect("the capabilities serialise");
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(id, result)?;
    let mut server = Server {
        connection,
        documents: Documents::default(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                server.request(request)?;
            }
            Message::Notification(notification) => server.notification(notification)?,
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Server<'c> {
    connection: &'c Connection,
    documents: Documents,
}

impl Server<'_> {
    fn send(&self, message: impl Into<Message>) -> Result<(), LspError> {
        self.connection
            .sender
            .send(message.into())
            .map_err(|_| LspError::Closed)
    }

    /// After the diagnostics are out, what the next requests need.
    fn warm(&self, uri: &Uri) {
        if let Some(open) = self.documents.get(uri) {
            open.warm();
        }
    }

    fn request(&mut self, request: Request) -> Result<(), LspError> {
        let id = request.id.clone();
        let response = match request.method.as_str() {
            HoverRequest::METHOD => match request.extract(HoverRequest::METHOD) {
                Ok((id, params)) => Response::new_ok(id, hover::hover(&self.documents, params)),
                Err(error) => bad_params(id, error),
            },
            Completion::METHOD => match request.extract(Completion::METHOD) {
                Ok((id, params)) => {
                    Response::new_ok(id, completion::completion(&self.documents, params))
                }
                Err(error) => bad_params(id, error),
            },
            GotoDefinition::METHOD => match request.extract(GotoDefinition::METHOD) {
                Ok((id, params)) => {
                    Response::new_ok(id, navigation::definition(&self.documents, params))
                }
                Err(error) => bad_params(id, error),
            },
            References::METHOD => match request.extract(References::METHOD) {
                Ok((id, params)) => {
                    Response::new_ok(id, navigation::references(&self.documents, params))
                }
                Err(error) => bad_params(id, error),
            },
            Rename::METHOD => match request.extract(Rename::METHOD) {
                Ok((id, params)) => match navigation::rename(&self.documents, params) {
                    Ok(edit) => Response::new_ok(id, edit),
                    Err(error) => {
                        Response::new_err(id, ErrorCode::InvalidParams as i32, error.to_string())
                    }
                },
                Err(error) => bad_params(id, error),
            },
            DocumentSymbolRequest::METHOD => match request.extract(DocumentSymbolRequest::METHOD) {
                Ok((id, params)) => Response::new_ok(id, symbols::symbols(&self.documents, params)),
                Err(error) => bad_params(id, error),
            },
            method => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("runbook lsp does not answer `{method}`"),
            ),
        };
        self.send(response)
    }

    fn notification(&mut self, notification: Notification) -> Result<(), LspError> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                {
                    let document = params.text_document;
                    let uri = document.uri.clone();
                    let open = self
                        .documents
                        .open(document.uri, document.version, document.text);
                    let message = publish(&uri, open);
                    self.send(message)?;
                    self.warm(&uri);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(params) = notification.extract::<lsp_types::DidChangeTextDocumentParams>(
                    DidChangeTextDocument::METHOD,
                ) {
                    let uri = params.text_document.uri;
                    if let Some(open) = self.documents.change(
                        &uri,
                        params.text_document.version,
                        params.content_changes,
                    ) {
                        let message = publish(&uri, open);
                        self.send(message)?;
                        self.warm(&uri);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(params) = notification
                    .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    let uri = params.text_document.uri;
                    self.documents.close(&uri);
                    // A closed document's diagnostics are cleared.
                    let params = PublishDiagnosticsParams::new(uri, Vec::new(), None);
                    self.send(Notification::new(
                        PublishDiagnostics::METHOD.to_string(),
                        params,
                    ))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn bad_params(id: lsp_server::RequestId, error: lsp_server::ExtractError<Request>) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid parameters: {error}"),
    )
}

/// `textDocument/publishDiagnostics` for a document as just checked.
pub fn publish(uri: &Uri, open: &Open) -> Notification {
    let diagnostics = open
        .checked
        .iter()
        .flat_map(|checked| &checked.diagnostics)
        .map(|d| diagnostics::to_lsp(d, uri, &open.text, &open.lines))
        .collect();
    let params = PublishDiagnosticsParams::new(uri.clone(), diagnostics, Some(open.version));
    Notification::new(PublishDiagnostics::METHOD.to_string(), params)
}

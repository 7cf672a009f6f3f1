//! Attachment files: checked (type and size), stored under `<data dir>/attachments` by an
//! unguessable key, served back by that key, listed per conversation.

use std::collections::HashMap;
use std::path::PathBuf;

use confab_domain::conversation::Conversation;
use confab_domain::message::{Attachment, FileType, UploadedFile};
use confab_domain::{MessageId, Timestamp};
use confab_store::Conn;
use confab_store::messages::{self, NewAttachment};
use confab_store::uploads::{self, NewUpload};

use crate::conversations::MessageView;
use crate::error::{AppError, AppResult};
use crate::{App, Scope, secrets};

/// Attachments per page of the conversation's `attachments` list.
pub const ATTACHMENTS_PER_PAGE: u64 = 100;

/// MIME types accepted besides `image/*`, `audio/*` and `video/*` (Chatwoot's document list).
const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/rtf",
    "application/rtf",
    "application/json",
    "application/xml",
    "text/xml",
    "application/zip",
    "application/x-zip-compressed",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
];

/// One uploaded file, as the transport received it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// A stored file as the file route serves it.
#[derive(Debug, Clone)]
pub struct ServedFile {
    pub file_name: String,
    pub mime_type: String,
    pub path: PathBuf,
}

/// An upload written to disk, waiting for its message.
#[derive(Debug, Clone)]
pub(crate) struct StoredUpload {
    pub key: String,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
}

fn allowed(mime: &str) -> bool {
    let top = mime.split('/').next().unwrap_or("");
    matches!(top, "image" | "audio" | "video") || DOCUMENT_TYPES.contains(&mime)
}

/// A file name safe to echo in a URL and a header: the last path segment, without controls.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '?' | '#' | '%'))
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

impl App {
    fn attachment_dir(&self) -> PathBuf {
        self.config().data_dir.join("attachments")
    }

    /// Where a stored file lives: `attachments/<first two chars>/<key>`.
    pub fn attachment_path(&self, key: &str) -> Option<PathBuf> {
        if key.len() < 8 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        Some(self.attachment_dir().join(&key[..2]).join(key))
    }

    /// The public URL of a stored file (the name percent-encoded).
    fn file_url(&self, key: &str, file_name: &str) -> String {
        format!(
            "{}/attachments/{}/{}",
            self.config().frontend_url.trim_end_matches('/'),
            key,
            url_encode(file_name)
        )
    }

    /// The public URL of a message's attachment.
    pub fn attachment_url(&self, a: &Attachment) -> String {
        self.file_url(&a.storage_key, &a.file_name)
    }

    /// A new storage key and its path, the directory made.
    async fn new_file(&self) -> std::io::Result<(String, PathBuf)> {
        let key = secrets::random_alnum(32);
        let path = self
            .attachment_path(&key)
            .ok_or_else(|| std::io::Error::other("a generated key is not a storage key"))?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        Ok((key, path))
    }

    /// Checks and writes uploads; nothing is written when one is refused.
    pub(crate) async fn store_uploads(&self, uploads: &[Upload]) -> AppResult<Vec<StoredUpload>> {
        let max = self.config().max_upload_bytes;
        for u in uploads {
            if u.bytes.is_empty() {
                return Err(AppError::invalid("attachments", "must not be empty files"));
            }
            if u.bytes.len() as u64 > max {
                return Err(AppError::invalid(
                    "attachments",
                    &format!(
                        "is too big ({} bytes; the limit is {} MB)",
                        u.bytes.len(),
                        max / (1024 * 1024)
                    ),
                ));
            }
            if !allowed(&u.mime_type) {
                return Err(AppError::invalid(
                    "attachments",
                    &format!("has a file type that is not allowed: {}", u.mime_type),
                ));
            }
        }
        let mut stored = Vec::with_capacity(uploads.len());
        for u in uploads {
            let written = async {
                let (key, path) = self.new_file().await?;
                tokio::fs::write(&path, &u.bytes).await.map(|()| key)
            };
            let key = match written.await {
                Ok(key) => key,
                Err(e) => {
                    self.remove_stored(&stored).await;
                    return Err(AppError::internal(e));
                }
            };
            stored.push(StoredUpload {
                key,
                file_name: clean_name(&u.file_name),
                mime_type: u.mime_type.clone(),
                size: i64::try_from(u.bytes.len()).unwrap_or(i64::MAX),
            });
        }
        Ok(stored)
    }

    /// Records stored uploads as attachments of a message.
    pub(crate) async fn attach_stored(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        message: MessageId,
        stored: &[StoredUpload],
        now: Timestamp,
    ) -> AppResult<()> {
        for s in stored {
            let extension = s
                .file_name
                .rsplit_once('.')
                .map(|(_, ext)| ext.to_lowercase())
                .filter(|e| !e.is_empty() && e.len() <= 10);
            messages::insert_attachment(
                c,
                &NewAttachment {
                    account: conv.account_id,
                    conversation: conv.id,
                    message,
                    file_type: FileType::of_mime(&s.mime_type),
                    file_name: s.file_name.clone(),
                    extension,
                    mime_type: s.mime_type.clone(),
                    file_size: s.size,
                    storage_key: s.key.clone(),
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Removes the files of uploads that will not be recorded.
    pub(crate) async fn remove_stored(&self, stored: &[StoredUpload]) {
        self.remove_files(&stored.iter().map(|s| s.key.clone()).collect::<Vec<_>>())
            .await;
    }

    /// Removes stored files (best effort; a leftover file is harmless and logged).
    pub(crate) async fn remove_files(&self, keys: &[String]) {
        for key in keys {
            if let Some(path) = self.attachment_path(key)
                && let Err(e) = tokio::fs::remove_file(&path).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, path = %path.display(), "could not remove an attachment file");
            }
        }
    }

    /// A stored file by key: its name and type (a message's attachment, or an upload of its
    /// own) and where it is on disk (served without a token: the 32-character key is the
    /// credential, like a signed URL).
    pub async fn stored_file(&self, key: &str) -> AppResult<ServedFile> {
        let path = self.attachment_path(key).ok_or(AppError::NotFound)?;
        let mut c = self.store().conn();
        if let Some(a) = messages::find_attachment_by_key(&mut c, key).await? {
            return Ok(ServedFile {
                file_name: a.file_name,
                mime_type: a.mime_type,
                path,
            });
        }
        let u = uploads::upload_by_key(&mut c, key)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(ServedFile {
            file_name: u.file_name,
            mime_type: u.mime_type,
            path,
        })
    }

    /// `POST …/upload`: one file kept for the account (upstream's blob), for automation rules
    /// to send. Any member of the account may upload.
    pub async fn upload_file(&self, scope: &Scope, upload: Upload) -> AppResult<UploadedFile> {
        let stored = self.store_uploads(std::slice::from_ref(&upload)).await?;
        let Some(s) = stored.into_iter().next() else {
            return Err(AppError::invalid("attachment", "could not be stored"));
        };
        let now = self.now();
        let recorded = async {
            let mut tx = self.store().begin().await?;
            let f = uploads::insert_upload(
                &mut tx.conn(),
                &NewUpload {
                    account: scope.account_id(),
                    file_name: s.file_name.clone(),
                    mime_type: s.mime_type.clone(),
                    file_size: s.size,
                    storage_key: s.key.clone(),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(f)
        }
        .await;
        if recorded.is_err() {
            self.remove_files(std::slice::from_ref(&s.key)).await;
        }
        recorded
    }

    /// The public URL of an upload.
    pub fn upload_url(&self, f: &UploadedFile) -> String {
        self.file_url(&f.storage_key, &f.file_name)
    }

    /// A second name for an upload's bytes, for a message to own: a hard link (a metadata
    /// change, quick enough inside a transaction), so deleting the message's files never
    /// touches the upload. `None` when the upload's file is gone.
    pub(crate) async fn link_upload(&self, f: &UploadedFile) -> AppResult<Option<StoredUpload>> {
        let Some(from) = self.attachment_path(&f.storage_key) else {
            return Ok(None);
        };
        let (key, to) = self.new_file().await.map_err(AppError::internal)?;
        match tokio::fs::hard_link(&from, &to).await {
            Ok(()) => Ok(Some(StoredUpload {
                key,
                file_name: f.file_name.clone(),
                mime_type: f.mime_type.clone(),
                size: f.file_size,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(upload = f.id.get(), "an upload's file is missing; not sent");
                Ok(None)
            }
            Err(e) => Err(AppError::internal(e)),
        }
    }

    /// One page of a conversation's attachments with each one's message (for the sender).
    pub async fn conversation_attachments(
        &self,
        scope: &Scope,
        display_id: i64,
        page: u64,
    ) -> AppResult<(Vec<(Attachment, Option<MessageView>)>, i64)> {
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let (list, total) =
            messages::conversation_attachments(&mut c, conv.id, page.max(1), ATTACHMENTS_PER_PAGE)
                .await?;
        let ids = crate::presentation::dedup(list.iter().map(|a| a.message_id).collect());
        let msgs = messages::list_by_ids(&mut c, &ids).await?;
        let display = HashMap::from([(conv.id, conv.display_id)]);
        let views: HashMap<MessageId, MessageView> = self
            .message_views(&mut c, msgs, &display)
            .await?
            .into_iter()
            .map(|m| (m.message.id, m))
            .collect();
        Ok((
            list.into_iter()
                .map(|a| {
                    let m = views.get(&a.message_id).cloned();
                    (a, m)
                })
                .collect(),
            total,
        ))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_in_urls() {
        assert_eq!(url_encode("a b/ü.png"), "a%20b%2F%C3%BC.png");
    }

    #[test]
    fn media_and_documents_are_allowed_and_executables_are_not() {
        assert!(allowed("image/png"));
        assert!(allowed("application/pdf"));
        assert!(!allowed("application/x-msdownload"));
        assert!(!allowed("text/html"));
    }

    #[test]
    fn file_names_lose_their_paths_and_unsafe_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\x\\a b?.png"), "a b.png");
        assert_eq!(clean_name("///"), "file");
    }
}

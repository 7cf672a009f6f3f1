//! Files uploaded on their own (upstream's blobs): recorded per account, read back by id.

use confab_domain::message::UploadedFile;
use confab_domain::{AccountId, Timestamp, UploadId};
use sea_query::{Expr, ExprTrait, Query};

use crate::db::insert_into;
use crate::{Conn, StoreError};

const COLUMNS: [&str; 7] = [
    "id",
    "account_id",
    "file_name",
    "mime_type",
    "file_size",
    "storage_key",
    "created_at",
];

/// A file to record; its bytes are already stored under `storage_key`.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub account: AccountId,
    pub file_name: String,
    pub mime_type: String,
    pub file_size: i64,
    pub storage_key: String,
}

pub async fn insert_upload(
    c: &mut Conn<'_>,
    n: &NewUpload,
    now: Timestamp,
) -> Result<UploadedFile, StoreError> {
    let mut stmt = insert_into(
        "uploads",
        vec![
            ("account_id", n.account.get().into()),
            ("file_name", n.file_name.clone().into()),
            ("mime_type", n.mime_type.clone().into()),
            ("file_size", n.file_size.into()),
            ("storage_key", n.storage_key.clone().into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    let id = c.insert_returning_id(&mut stmt).await?;
    Ok(UploadedFile {
        id: UploadId(id),
        account_id: n.account,
        file_name: n.file_name.clone(),
        mime_type: n.mime_type.clone(),
        file_size: n.file_size,
        storage_key: n.storage_key.clone(),
        created_at: now,
    })
}

/// The account's uploads among `ids` (others' and unknown ids are left out), by id.
pub async fn uploads_by_ids(
    c: &mut Conn<'_>,
    account: AccountId,
    ids: &[UploadId],
) -> Result<Vec<UploadedFile>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("uploads")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.get())))
        .order_by("id", sea_query::Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// An upload by the key its bytes are stored under.
pub async fn upload_by_key(
    c: &mut Conn<'_>,
    key: &str,
) -> Result<Option<UploadedFile>, StoreError> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("uploads")
        .and_where(Expr::col("storage_key").eq(key))
        .to_owned();
    c.fetch_optional(&stmt).await
}

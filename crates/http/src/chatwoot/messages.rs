//! (in progress)

use axum::Router;
use confab_app::App;

pub fn router() -> Router<App> {
    Router::new()
}

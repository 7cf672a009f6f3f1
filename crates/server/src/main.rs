//! The `confab` binary.

use std::io::Write;
use std::process::ExitCode;

use confab_server::config::{AdminCommand, Cli, Command, ServeOpts};
use confab_server::startup::{self, Server};
use confab_server::telemetry;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    telemetry::init(&cli.global.log_level, cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            let _ = writeln!(std::io::stderr(), "confab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command.unwrap_or(Command::Serve(ServeOpts::default())) {
        Command::Migrate => {
            let store = startup::open_store(&confab_server::config::GlobalOpts {
                no_migrate: false,
                ..global
            })
            .await?;
            store.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin(cmd) => {
            let store = startup::open_store(&global).await?;
            let secret = startup::load_secret(&global)?;
            let app = startup::build_app(
                store.clone(),
                secret,
                startup::system_clock(),
                &global,
                None,
                "127.0.0.1:3000",
            );
            let result = match cmd {
                AdminCommand::CreatePlatformApp { name } => {
                    let (p, token) = app
                        .create_platform_app(&name)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    out(
                        &serde_json::json!({ "id": p.id, "name": p.name, "access_token": token })
                            .to_string(),
                    );
                    Ok(())
                }
                AdminCommand::CreateUser {
                    email,
                    password,
                    name,
                    account_id,
                } => {
                    let (u, token) = app
                        .admin_create_user(
                            &email,
                            &name,
                            &password,
                            account_id.map(confab_domain::AccountId),
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    out(
                        &serde_json::json!({ "id": u.id, "email": u.email, "access_token": token })
                            .to_string(),
                    );
                    Ok(())
                }
                AdminCommand::Seed {
                    conversations,
                    agents,
                    inboxes,
                    seed,
                } => {
                    let report = app
                        .seed(&confab_app::seed::SeedOptions {
                            conversations,
                            agents,
                            inboxes,
                            seed,
                        })
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    out(&serde_json::to_string(&report)?);
                    Ok(())
                }
            };
            store.close().await;
            result
        }
        Command::Serve(opts) => serve(global, opts).await,
    }
}

async fn serve(global: confab_server::config::GlobalOpts, opts: ServeOpts) -> anyhow::Result<()> {
    let store = startup::open_store(&global).await?;
    let secret = startup::load_secret(&global)?;
    let app = startup::build_app(
        store.clone(),
        secret,
        startup::system_clock(),
        &global,
        opts.frontend_url.clone(),
        &opts.bind.to_string(),
    );
    let server = Server::bind(app.clone(), &opts).await?;
    if let Some(b) = app
        .bootstrap_if_empty(&opts.admin_email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        let base = format!("http://{}", opts.bind);
        out("");
        out("================ Confab: first start ================");
        out(&format!(
            "Account:          {} (id {})",
            b.account.name, b.account.id
        ));
        out(&format!("Dashboard login:  {}", b.admin.email));
        out(&format!("Password:         {}", b.password));
        out(&format!("api_access_token: {}", b.user_token));
        out(&format!("Platform token:   {}", b.platform_token));
        out("");
        out("List conversations:");
        out(&format!(
            "  curl -s -H 'api_access_token: {}' {base}/api/v1/accounts/{}/conversations",
            b.user_token, b.account.id
        ));
        out("These credentials are shown once. Keep them.");
        out("=====================================================");
        out("");
    }
    tracing::info!(address = %opts.bind, port = server.port(), "confab is listening");
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        startup::shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        trigger.cancel();
    });
    let result = server.run(shutdown).await;
    store.close().await;
    tracing::info!("stopped");
    result
}

//! Exit when the engine is gone: a plugin whose engine crashed would otherwise live on as an
//! orphan. Like Pulumi's Go provider runtime (which polls the engine's health service every five
//! minutes), the plugin checks the engine's address periodically; in attach mode there is no
//! engine address and nothing is watched.

use std::time::Duration;

/// How often the engine is checked.
pub const ENGINE_CHECK_INTERVAL: Duration = Duration::from_secs(300);

/// Resolves once the engine at `address` (`host:port`, optionally with a scheme) refuses
/// connections, checking every `interval`.
pub async fn engine_gone(address: &str, interval: Duration) {
    let target = address
        .split_once("://")
        .map_or(address, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_string();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if tokio::net::TcpStream::connect(&target).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_when_the_engine_stops_listening() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let watcher = tokio::spawn(async move {
            engine_gone(&address, Duration::from_millis(10)).await;
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!watcher.is_finished(), "the engine is still listening");
        drop(listener);
        tokio::time::timeout(Duration::from_secs(30), watcher)
            .await
            .expect("the watcher notices the engine is gone")
            .expect("the watcher task completes");
    }
}

//! The plugin protocol through the binary: launch (port line, flags, attach mode), the
//! handshake and configuration RPCs, the schema, UNIMPLEMENTED methods and SIGINT.

mod harness;

use std::time::Duration;

use harness::*;
use pulumi_gestalt_proto::pulumi::pulumirpc::{
    CheckRequest, ConfigureRequest, CreateRequest, GetMappingRequest, GetSchemaRequest,
    PluginAttach, ProviderHandshakeRequest, resource_provider_client::ResourceProviderClient,
};
use serde_json::{Value as Json, json};
use tonic::Code;

#[tokio::test]
async fn launch_prints_the_port_as_the_only_stdout_line() {
    let h = Harness::start(false).await;
    let port: u32 = h.port_line.parse().expect("a bare decimal port");
    assert!((1..=65535).contains(&port));
    assert_eq!(h.port_line, port.to_string());
}

#[tokio::test]
async fn launch_tolerates_engine_flags_and_attach_mode() {
    let (engine, address) = start_engine(false).await;
    let _ = engine;
    for args in [
        vec![
            "--logtostderr",
            "-v=9",
            "--tracing",
            "http://127.0.0.1:9",
            address.as_str(),
        ],
        vec!["--unknown-flag=1", address.as_str()],
        vec![],
    ] {
        let (_child, line, _) = launch(&args, &[]).await;
        let port: u16 = line
            .parse()
            .unwrap_or_else(|_| panic!("{args:?}: port line `{line}`"));
        let mut client = ResourceProviderClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect");
        let info = client
            .get_plugin_info(())
            .await
            .expect("plugin info")
            .into_inner();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        if args.is_empty() {
            client
                .attach(PluginAttach {
                    address: address.clone(),
                })
                .await
                .expect("attach is accepted");
        }
    }
}

#[tokio::test]
async fn handshake_configure_schema_and_cancel() {
    let mut h = Harness::start(false).await;
    let hs = h
        .client
        .handshake(ProviderHandshakeRequest {
            engine_address: h.address.clone(),
            ..Default::default()
        })
        .await
        .expect("handshake")
        .into_inner();
    assert!(hs.accept_secrets && hs.accept_resources && hs.accept_outputs);

    let cfg = h
        .client
        .configure(ConfigureRequest {
            accept_secrets: true,
            accept_resources: true,
            ..Default::default()
        })
        .await
        .expect("configure")
        .into_inner();
    assert!(
        cfg.accept_secrets && cfg.accept_resources && cfg.supports_preview && cfg.accept_outputs
    );
    assert_eq!(
        (hs.accept_secrets, hs.accept_resources, hs.accept_outputs),
        (cfg.accept_secrets, cfg.accept_resources, cfg.accept_outputs),
        "Handshake and Configure agree"
    );

    let schema = h
        .client
        .get_schema(GetSchemaRequest::default())
        .await
        .expect("schema")
        .into_inner()
        .schema;
    let on_disk = include_str!("../../schema.json");
    assert_eq!(schema, on_disk);
    let j: Json = serde_json::from_str(&schema).expect("JSON");
    assert_eq!(j["name"], json!("jwks-rotation"));
    assert_eq!(j["version"], json!(env!("CARGO_PKG_VERSION")));
    assert_eq!(
        j["pluginDownloadURL"],
        json!(env!("JWKS_ROTATION_PLUGIN_DOWNLOAD_URL"))
    );
    assert!(
        j.get("dependencies").is_none(),
        "a top-level `dependencies` makes the Node.js SDK pin pulumi-aws exactly"
    );
    assert_eq!(j["resources"][COMPONENT]["isComponent"], json!(true));

    h.client.cancel(()).await.expect("cancel is acknowledged");
}

#[tokio::test]
async fn the_schema_is_complete() {
    let j: Json = serde_json::from_str(include_str!("../../schema.json")).expect("JSON");
    let res = &j["resources"][COMPONENT];
    for section in ["inputProperties", "properties"] {
        for (name, p) in res[section].as_object().expect(section) {
            assert!(
                p["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{section}.{name}"
            );
            assert!(
                p["type"].is_string() || p["$ref"].is_string(),
                "{section}.{name}"
            );
        }
    }
    for required in res["requiredInputs"].as_array().expect("requiredInputs") {
        assert!(
            res["inputProperties"]
                .get(required.as_str().unwrap_or(""))
                .is_some()
        );
    }
    for required in res["required"].as_array().expect("required") {
        assert!(
            res["properties"]
                .get(required.as_str().unwrap_or(""))
                .is_some()
        );
    }
    for (name, t) in j["types"].as_object().expect("types") {
        if let Some(values) = t["enum"].as_array() {
            // enums: string values, each with a description (editor completion shows it)
            assert_eq!(t["type"], json!("string"), "{name}");
            assert!(t["description"].is_string(), "{name}");
            for v in values {
                assert!(v["value"].is_string(), "{name}: {v}");
                assert!(v["description"].is_string(), "{name}: {v}");
            }
            continue;
        }
        assert_eq!(t["type"], json!("object"), "{name}");
        for (field, p) in t["properties"].as_object().expect("properties") {
            assert!(p["description"].is_string(), "{name}.{field}");
        }
    }
    for lang in ["nodejs", "python", "go", "csharp"] {
        assert!(j["language"][lang].is_object(), "{lang}");
    }
    assert_eq!(
        res["requiredInputs"],
        json!(["secretName", "keySpec", "maxTokenValidityDuration"])
    );
}

#[tokio::test]
async fn custom_resource_methods_are_unimplemented_and_wrong_types_refused() {
    let mut h = Harness::start(false).await;
    let err = h
        .client
        .check(CheckRequest::default())
        .await
        .expect_err("check");
    assert_eq!(err.code(), Code::Unimplemented);
    let err = h
        .client
        .create(CreateRequest::default())
        .await
        .expect_err("create");
    assert_eq!(err.code(), Code::Unimplemented);
    let err = h
        .client
        .check_config(CheckRequest::default())
        .await
        .expect_err("check_config");
    assert_eq!(err.code(), Code::Unimplemented);
    let err = h
        .client
        .get_mapping(GetMappingRequest::default())
        .await
        .expect_err("get_mapping");
    assert_eq!(err.code(), Code::Unimplemented);
    let mut req = h.request("jwks", minimal());
    req.r#type = "jwks-rotation:index:Other".into();
    let err = h.construct_request(req).await.expect_err("unknown type");
    assert!(err.message().contains("jwks-rotation:index:Other"));
    assert!(h.registrations().is_empty());
}

#[tokio::test]
async fn sigint_stops_the_plugin_cleanly() {
    let mut h = Harness::start(false).await;
    let pid = h.plugin.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    // A guard against hanging forever, not a timing assertion.
    let exit = tokio::time::timeout(Duration::from_secs(60), h.plugin.wait())
        .await
        .expect("the plugin exits after SIGINT")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
}

//! The gRPC `ResourceProvider` service: plugin info, schema, configuration, `Construct`; every
//! custom-resource method answers UNIMPLEMENTED (a component provider has no CRUD).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use prost_types::Struct;
use pulumi_gestalt_proto::pulumi::pulumirpc::{
    CallRequest, CallResponse, CheckRequest, CheckResponse, ConfigureRequest, ConfigureResponse,
    ConstructRequest, ConstructResponse, CreateRequest, CreateResponse, DeleteRequest, DiffRequest,
    DiffResponse, GetMappingRequest, GetMappingResponse, GetMappingsRequest, GetMappingsResponse,
    GetSchemaRequest, GetSchemaResponse, InvokeRequest, InvokeResponse, LogRequest, LogSeverity,
    ParameterizeRequest, ParameterizeResponse, PluginAttach, PluginInfo, ProviderHandshakeRequest,
    ProviderHandshakeResponse, ReadRequest, ReadResponse, UpdateRequest, UpdateResponse,
    construct_response, engine_client::EngineClient, resource_provider_server::ResourceProvider,
};
use tonic::{Request, Response, Status};

use crate::error::ProviderError;
use crate::graph::{self, Ctx};
use crate::monitor::{Monitor, Options};
use crate::schema::{COMPONENT_TYPE, SCHEMA, VERSION};
use crate::{args, wire};

/// The provider.
pub struct Provider {
    engine_address: Mutex<Option<String>>,
    zip_root: PathBuf,
}

impl Provider {
    /// A provider that talks to the engine at `engine_address` (if known) and writes the Lambda
    /// zip under `zip_root`.
    pub fn new(engine_address: Option<String>, zip_root: PathBuf) -> Self {
        Provider {
            engine_address: Mutex::new(engine_address),
            zip_root,
        }
    }

    fn engine(&self) -> Option<String> {
        self.engine_address.lock().ok().and_then(|g| g.clone())
    }

    /// Shows a message in the engine's output for the component (best effort: a message that
    /// cannot be delivered is not worth failing the deployment for).
    async fn log(&self, severity: LogSeverity, urn: &str, message: String) {
        let Some(address) = self.engine() else {
            return;
        };
        let uri = if address.contains("://") {
            address
        } else {
            format!("http://{address}")
        };
        if let Ok(mut client) = EngineClient::connect(uri).await {
            let _ = client
                .log(LogRequest {
                    severity: severity as i32,
                    message,
                    urn: urn.to_string(),
                    ..Default::default()
                })
                .await;
        }
    }

    fn set_engine(&self, address: String) {
        if let Ok(mut guard) = self.engine_address.lock() {
            *guard = Some(address);
        }
    }

    async fn construct_component(
        &self,
        req: ConstructRequest,
    ) -> Result<ConstructResponse, ProviderError> {
        if req.r#type != COMPONENT_TYPE {
            return Err(ProviderError::Unsupported(format!(
                "unknown resource type `{}`: this provider offers {COMPONENT_TYPE}",
                req.r#type
            )));
        }
        // Every input is validated before anything is registered.
        let parsed = args::parse(&req.inputs.clone().unwrap_or_default())?;
        let monitor = Monitor::connect(&req.monitor_endpoint, Options::from_request(&req)).await?;
        let (children, urn) = monitor
            .register_component(&req.r#type, &req.name, &req.parent)
            .await?;
        let ctx = Ctx {
            name: &req.name,
            args: &parsed,
            monitor: &children,
            zip_root: self.zip_root.clone(),
        };
        let built = graph::build(&ctx).await?;
        let outputs = Struct {
            fields: built
                .outputs
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect(),
        };
        monitor.register_outputs(&urn, outputs.clone()).await?;
        for warning in &parsed.warnings {
            self.log(LogSeverity::Warning, &urn, warning.clone()).await;
        }
        if let Some(bucket) = &parsed.bucket {
            let name = bucket.value.as_deref().unwrap_or("(unknown until update)");
            self.log(
                LogSeverity::Warning,
                &urn,
                format!(
                    "bucket `{name}` is not managed by this component: merge the `bucketPolicyStatements` output into its bucket policy so the JWKS can be read"
                ),
            )
            .await;
        }
        let mut state = outputs;
        for key in &req.additional_secret_outputs {
            if let Some(v) = state.fields.remove(key) {
                state.fields.insert(key.clone(), wire::secret(v));
            }
        }
        let state_dependencies: HashMap<String, construct_response::PropertyDependencies> = built
            .outputs
            .into_iter()
            .map(|(k, (_, urns))| (k, construct_response::PropertyDependencies { urns }))
            .collect();
        Ok(ConstructResponse {
            urn,
            state: Some(state),
            state_dependencies,
        })
    }
}

fn unimplemented<T>(method: &str) -> Result<Response<T>, Status> {
    Err(Status::unimplemented(format!(
        "{method} is not implemented: jwks-rotation is a component provider ({COMPONENT_TYPE} is constructed, not created)"
    )))
}

#[tonic::async_trait]
impl ResourceProvider for Provider {
    async fn handshake(
        &self,
        request: Request<ProviderHandshakeRequest>,
    ) -> Result<Response<ProviderHandshakeResponse>, Status> {
        let req = request.into_inner();
        if !req.engine_address.is_empty() {
            self.set_engine(req.engine_address);
        }
        Ok(Response::new(ProviderHandshakeResponse {
            accept_secrets: true,
            accept_resources: true,
            accept_outputs: true,
            supports_autonaming_configuration: false,
        }))
    }

    async fn parameterize(
        &self,
        _: Request<ParameterizeRequest>,
    ) -> Result<Response<ParameterizeResponse>, Status> {
        unimplemented("Parameterize")
    }

    async fn get_schema(
        &self,
        request: Request<GetSchemaRequest>,
    ) -> Result<Response<GetSchemaResponse>, Status> {
        let req = request.into_inner();
        if !req.subpackage_name.is_empty() {
            return Err(Status::invalid_argument(format!(
                "subpackage `{}` does not exist: jwks-rotation is not parameterized",
                req.subpackage_name
            )));
        }
        Ok(Response::new(GetSchemaResponse {
            schema: SCHEMA.to_string(),
        }))
    }

    async fn check_config(
        &self,
        _: Request<CheckRequest>,
    ) -> Result<Response<CheckResponse>, Status> {
        // No provider configuration: the engine passes the inputs through.
        unimplemented("CheckConfig")
    }

    async fn diff_config(&self, _: Request<DiffRequest>) -> Result<Response<DiffResponse>, Status> {
        unimplemented("DiffConfig")
    }

    async fn configure(
        &self,
        _: Request<ConfigureRequest>,
    ) -> Result<Response<ConfigureResponse>, Status> {
        Ok(Response::new(ConfigureResponse {
            accept_secrets: true,
            supports_preview: true,
            accept_resources: true,
            accept_outputs: true,
            supports_autonaming_configuration: false,
        }))
    }

    async fn invoke(&self, _: Request<InvokeRequest>) -> Result<Response<InvokeResponse>, Status> {
        unimplemented("Invoke")
    }

    async fn call(&self, _: Request<CallRequest>) -> Result<Response<CallResponse>, Status> {
        unimplemented("Call")
    }

    async fn check(&self, _: Request<CheckRequest>) -> Result<Response<CheckResponse>, Status> {
        unimplemented("Check")
    }

    async fn diff(&self, _: Request<DiffRequest>) -> Result<Response<DiffResponse>, Status> {
        unimplemented("Diff")
    }

    async fn create(&self, _: Request<CreateRequest>) -> Result<Response<CreateResponse>, Status> {
        unimplemented("Create")
    }

    async fn read(&self, _: Request<ReadRequest>) -> Result<Response<ReadResponse>, Status> {
        unimplemented("Read")
    }

    async fn update(&self, _: Request<UpdateRequest>) -> Result<Response<UpdateResponse>, Status> {
        unimplemented("Update")
    }

    async fn delete(&self, _: Request<DeleteRequest>) -> Result<Response<()>, Status> {
        unimplemented("Delete")
    }

    async fn construct(
        &self,
        request: Request<ConstructRequest>,
    ) -> Result<Response<ConstructResponse>, Status> {
        self.construct_component(request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn cancel(&self, _: Request<()>) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }

    async fn get_plugin_info(&self, _: Request<()>) -> Result<Response<PluginInfo>, Status> {
        Ok(Response::new(PluginInfo {
            version: VERSION.to_string(),
        }))
    }

    async fn attach(&self, request: Request<PluginAttach>) -> Result<Response<()>, Status> {
        self.set_engine(request.into_inner().address);
        Ok(Response::new(()))
    }

    async fn get_mapping(
        &self,
        _: Request<GetMappingRequest>,
    ) -> Result<Response<GetMappingResponse>, Status> {
        unimplemented("GetMapping")
    }

    async fn get_mappings(
        &self,
        _: Request<GetMappingsRequest>,
    ) -> Result<Response<GetMappingsResponse>, Status> {
        unimplemented("GetMappings")
    }
}

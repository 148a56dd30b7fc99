# lieux in a container: the release binary on a distroless base (glibc, CA certificates, a
# non-root user and nothing else). Build context: the repository root.
#   docker build -t lieux .
#   docker run -p 8080:8080 lieux                        # the embedded default data
#   docker run -p 8080:8080 lieux serve --follow http://primary:8080/v1/snapshot
# Kubernetes and systemd examples: deploy/; how to run replicas: docs/operations.md#replicas.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# --locked: the dependency versions of Cargo.lock, nothing newer
RUN cargo build --release --locked --bin lieux \
    && strip target/release/lieux

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/lieux /usr/local/bin/lieux
# the distroless "nonroot" user, by number (Kubernetes runAsNonRoot checks numbers)
USER 65532:65532
ENV LIEUX_BIND=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080
# readiness, not liveness: a follower is unhealthy until it has data from its source
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/lieux", "probe", "http://127.0.0.1:8080/ready"]
ENTRYPOINT ["/usr/local/bin/lieux"]
CMD ["serve"]

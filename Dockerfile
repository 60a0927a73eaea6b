# syntax=docker/dockerfile:1
# One image per binary, both static (CGO_ENABLED=0):
#   docker buildx build --target controller --platform linux/amd64,linux/arm64 -t ghcr.io/ironlb/controller .
#   docker buildx build --target speaker --platform linux/amd64,linux/arm64 -t ghcr.io/ironlb/speaker .
# Without Docker, `make image` writes the same file systems as OCI layouts.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
RUN --mount=type=bind,target=. \
    --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -ldflags "-s -w" -o /out/ ./controller ./speaker

FROM gcr.io/distroless/static:nonroot AS controller
COPY --from=build /out/controller /usr/local/bin/controller
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/controller"]

# Root: the speaker needs NET_RAW (ARP, NDP) and NET_ADMIN, and its DaemonSet
# drops every other capability.
FROM gcr.io/distroless/static AS speaker
COPY --from=build /out/speaker /usr/local/bin/speaker
USER 0:0
ENTRYPOINT ["/usr/local/bin/speaker"]

# syntax=docker/dockerfile:1
# The gate's own image: `gate` as the entrypoint, for the GitHub Action (action.yml), the
# GitLab component, Jenkins and Tekton. Multi-stage: the build stage installs gate into a
# virtual environment, the final stage gets that environment and nothing else (no pip, no
# compiler, no source tree). Non-root; the base is a build argument pinned by digest.
#
# BASE_IMAGE: a Debian-based image with python3 (>= 3.10) and its venv module, by digest.
# Both stages use it, so the environment's interpreter path exists at run time. scripts/
# build_gate_image.sh builds with a local base made from a Debian root filesystem.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml ./
COPY policies ./policies
COPY gate ./gate
# The installer leaves with the build stage: pip and setuptools are removed from the
# environment before it is copied out. Behind a TLS-intercepting proxy, pass its CA bundle as
# the build secret "pip-ca" (docker build / buildah bud --secret id=pip-ca,src=FILE): it is
# used for this step only and never stored in a layer.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python3 -m venv /opt/gate \
 && /opt/gate/bin/python -m pip install '.[github,gitlab]' \
 && /opt/gate/bin/python -m pip uninstall --yes pip setuptools \
 && /opt/gate/bin/gate --version

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG GATE_VERSION=0.1.0
ARG VCS_REF=unknown
ARG SOURCE_URL=https://github.com/gate-security/gate
# 1001 is the user GitHub-hosted runners run as: a Docker action's container then owns the
# mounted workspace and the $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY files, without being root.
ARG GATE_UID=1001
LABEL org.opencontainers.image.title="gate" \
      org.opencontainers.image.description="CI/CD container security gate: secrets, vulnerabilities, signatures and configuration, decided by one policy file" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.version="${GATE_VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
COPY --from=build /opt/gate /opt/gate
# A writable HOME for the non-root user (caches, the advisory database); CI runners that
# mount a home of their own set HOME themselves.
ENV PATH=/opt/gate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    GATE_CACHE_DIR=/tmp/gate-cache
USER ${GATE_UID}:${GATE_UID}
# A command-line tool, not a service: nothing to probe.
HEALTHCHECK NONE
ENTRYPOINT ["gate"]
CMD ["--help"]

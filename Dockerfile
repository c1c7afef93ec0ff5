# The playground as a container: `docker build -t reuploading-playground . && docker run -p 5006:5006
# -e PLAYGROUND_ALLOW_ORIGIN=localhost:5006 reuploading-playground`. Several of them behind nginx: deploy/compose.yaml.
#
# CPU only (NumPy and Numba; no PyTorch, no PennyLane), every Python package pinned (deploy/requirements.txt), run as
# an unprivileged user, the Numba kernels compiled while the image is built, and no build or test tool (pip,
# setuptools, wheel) left in the final image.

# ---- build: the project and its pinned dependencies into a virtual environment
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY deploy/requirements.txt ./deploy/requirements.txt
RUN python -m venv /opt/playground \
 && /opt/playground/bin/pip install --no-deps -r deploy/requirements.txt
COPY pyproject.toml README.md ./
COPY playground ./playground
COPY widgets ./widgets
COPY apps ./apps
COPY assets ./assets
RUN /opt/playground/bin/pip install --no-deps . \
 && /opt/playground/bin/pip uninstall -y pip setuptools wheel

# ---- run
FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/playground/bin:$PATH \
    NUMBA_CACHE_DIR=/var/cache/playground/numba
RUN python -m pip uninstall -y pip setuptools wheel \
 && useradd --system --create-home --uid 10001 playground \
 && mkdir -p /var/cache/playground/numba \
 && chown -R playground /var/cache/playground
COPY --from=build /opt/playground /opt/playground
USER playground
WORKDIR /home/playground
# Compile the fast kernels into NUMBA_CACHE_DIR now, so that the container's first visitor does not wait for them.
RUN playground warmup

EXPOSE 5006
# The liveness endpoint answers once the server is up; Python's standard library asks (the image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5006/liveness', timeout=4)"]
# Behind a public hostname, set PLAYGROUND_ALLOW_ORIGIN=your.host (the exact websocket origin) and BOKEH_SECRET_KEY
# (signed session ids, the same for every process behind one load balancer); see README, "Serving a class or the
# public".
CMD ["playground", "serve", "--address", "0.0.0.0", "--port", "5006", "--no-browser"]

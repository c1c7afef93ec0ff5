# The playground as a container: `docker build -t reuploading-playground . && docker run -p 5006:5006 reuploading-playground`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /app
COPY pyproject.toml README.md ./
COPY playground ./playground
COPY widgets ./widgets
COPY apps ./apps
COPY assets ./assets
RUN pip install . && useradd --create-home playground
USER playground
# Compile the fast kernels into NUMBA_CACHE_DIR now, so that the container's first visitor does not wait for them.
RUN playground warmup

EXPOSE 5006
# Behind a public hostname, set PLAYGROUND_ALLOW_ORIGIN=your.host (exact websocket origin) and
# BOKEH_SECRET_KEY (signed session ids); see README, "Hosting a public server".
CMD ["playground", "serve", "--address", "0.0.0.0", "--port", "5006", "--no-browser"]

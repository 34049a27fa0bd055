# reportd in a container: the builder stage makes the .deb exactly as `make deb` does on a Debian 12
# machine, and the runtime stage installs that .deb, so the image and the package cannot differ.
#   docker build -t reportd .
#   docker run -d -p 3000:3000 -v reportd-data:/var/lib/reportd -e JWT_SECRET=... reportd
# See README.md, "Packaging and deployment".

FROM debian:12 AS build
WORKDIR /src
# The dependencies first, in a layer of their own that source changes do not invalidate:
# scripts/install-deps installs the Debian packages (as root, no sudo needed) and runs npm ci
# (the staff console's socket.io-client bundle comes from npm).
COPY scripts/install-deps scripts/install-deps
COPY package.json package-lock.json ./
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
# A Release build without the benchmark tools; `make deb` leaves build/package/reportd_*.deb.
RUN make deb CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DREPORTD_BUILD_BENCH=OFF"

FROM debian:12-slim
COPY --from=build /src/build/package/reportd_*.deb /tmp/package/
# apt resolves the .deb's Depends (the exact runtime libraries); its postinst creates the
# system user reportd and its folder /var/lib/reportd. curl is for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/package/reportd_*.deb curl \
 && rm -rf /var/lib/apt/lists/* /tmp/package
# As under systemd, the working directory is the state: the default SQLite database (and the
# JWT secret generated next to it when JWT_SECRET is not set) lands in /var/lib/reportd/data.
# Pass a PostgreSQL DATABASE_URL and JWT_SECRET for production.
VOLUME /var/lib/reportd
WORKDIR /var/lib/reportd
USER reportd
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT:-3000}/healthz" || exit 1
# `docker run IMAGE` serves; `docker run IMAGE migrate` or `user add ...` runs another command.
# SIGTERM (docker stop) starts reportd's graceful shutdown; its 5 s grace fits docker's 10 s.
ENTRYPOINT ["reportd"]
CMD ["serve"]

# syntax=docker/dockerfile:1
# build: type-check and compile TypeScript to dist/. deps: production dependencies only. runtime: node on the
# compiled code with tmux (to talk to the host's tmux server through its mounted socket directory) and no
# compiler, dev dependencies or package managers, as a non-root user.
# Node 24 is an LTS line supported until April 2028 (Node 20 reached its end of life in April 2026).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not here yet (the build runs below).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
COPY profiles ./profiles
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tmux procps \
    && rm -rf /var/lib/apt/lists/* \
    && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
              /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY bin ./bin
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Run as the uid that owns the host's tmux socket (tmux refuses clients of another uid): override with
# `--user $(id -u):$(id -g)`; the default 1000 matches the first user on most Linux hosts.
USER 1000:1000
ENV HOST=0.0.0.0 PORT=7700
EXPOSE 7700
# Asks /livez on whatever PORT the container was given (`-e PORT=8080` moves the check with the server).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 7700) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `docker exec <container> paneward status` works too (bin/paneward.js runs the compiled CLI).
ENV PATH=/app/bin:$PATH
CMD ["node", "--expose-gc", "dist/src/server.js"]

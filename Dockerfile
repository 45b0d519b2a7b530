# syntax=docker/dockerfile:1
# Build: type-check and compile TypeScript to dist/. Run: node on the compiled code, as a non-root user,
# with tmux installed so it can talk to the host's tmux server through its mounted socket directory.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY routes ./routes
COPY profiles ./profiles
RUN npm run build

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tmux procps \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Run as the uid that owns the host's tmux socket (tmux refuses clients of another uid): override with
# `--user $(id -u):$(id -g)`; the default 1000 matches the first user on most Linux hosts.
USER 1000:1000
ENV HOST=0.0.0.0 PORT=7700
EXPOSE 7700
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:7700/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--expose-gc", "dist/src/server.js"]

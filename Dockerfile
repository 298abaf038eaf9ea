# Plexus on Node 24: one image for the hub and every `plexus serve <name>` process.
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PLEXUS_DATA=/data
WORKDIR /app

# Native modules (better-sqlite3, isolated-vm) ship prebuilt binaries for this platform; build tools are only
# a fallback, removed again in the same layer.
COPY package.json package-lock.json ./
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --no-audit --no-fund \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* /root/.npm

COPY bin ./bin
COPY lib ./lib
COPY schemas ./schemas
COPY servers ./servers
COPY hub ./hub
COPY agent-host ./agent-host
COPY sandbox ./sandbox

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 7420

# isolated-vm needs --no-node-snapshot; Node 24 runs the TypeScript sources directly.
ENTRYPOINT ["node", "--no-node-snapshot", "bin/plexus.ts"]
CMD ["hub", "--host", "0.0.0.0", "--port", "7420"]

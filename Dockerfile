# One image for every Tessera service; the compose file picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY sequencer/package.json sequencer/
COPY prover/package.json prover/
COPY circuits/package.json circuits/
COPY contracts/package.json contracts/
COPY bridge/package.json bridge/
COPY explorer/package.json explorer/
COPY sdk/package.json sdk/
RUN npm ci --omit=dev --include-workspace-root || npm ci
COPY . .
ENV NODE_ENV=production
USER node

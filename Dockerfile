# The sample app: docker build -t notifications-sample . && docker run -e AUTH_MODE=dev -p 3000:3000 notifications-sample
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY lib ./lib
COPY src ./src
COPY sample ./sample
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# A young generation of up to 32 MiB per semi-space: at thousands of messages per second, young
# collections come half as often (docs/DEPLOYMENT.md, "Node's garbage collector").
ENV NODE_OPTIONS=--max-semi-space-size=32
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
CMD ["node", "dist/sample/main.js"]

# syntax=docker/dockerfile:1
# zhiku: one image, two roles (ROLE=api serves HTTP and the admin UI; ROLE=worker runs ingestion jobs).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
RUN npm run web:build && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# OCR of scanned PDFs and images (the packages of scripts/install-ocr.sh but unpaper, which only tests read),
# and a font with Chinese, Japanese and Korean glyphs for pages drawn for OCR whose fonts are not embedded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra \
      tesseract-ocr-eng tesseract-ocr-script-hans tesseract-ocr-script-hant tesseract-ocr-osd img2pdf poppler-utils poppler-data fonts-droid-fallback qpdf \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    WEB_DIR=/app/web/dist
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]

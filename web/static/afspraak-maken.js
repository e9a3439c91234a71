import { start } from "./common/page.js";
await start("afspraak-maken");

import { start } from "./common/page.js";
await start("index");

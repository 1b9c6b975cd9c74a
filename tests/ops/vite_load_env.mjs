// Loads a directory's .env files the way a Vite build does (Vite's own loadEnv: dotenv, then dotenv-expand
// against this process's environment) and prints the VITE_ variables as JSON.
import { loadEnv } from "vite";

const [mode, dir] = process.argv.slice(2);
process.stdout.write(JSON.stringify(loadEnv(mode, dir, "VITE_")));

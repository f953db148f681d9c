// The bot uses grammY's API client (Api, its errors and InputFile), not its bot
// framework. grammY's Node build is CommonJS, so importing its package root
// bundles all of it (Context, Bot, Composer, filters, keyboards, sessions,
// framework adapters: about 80 KiB minified) and runs it at every cold start.
// These are the very modules the root re-exports, so classes stay identical.
const { Api } = require("../../node_modules/grammy/out/core/api.js");
const { GrammyError, HttpError } = require("../../node_modules/grammy/out/core/error.js");
const { InputFile } = require("../../node_modules/grammy/out/types.node.js");

module.exports = { Api, GrammyError, HttpError, InputFile };

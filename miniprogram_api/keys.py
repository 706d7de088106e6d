"""Typed keys for what the app and a request carry."""
from __future__ import annotations

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from bot.conversation import ConversationService
from bot.rasa_client import RasaClient
from knowledge.service import KnowledgeService
from miniprogram_api.config import Settings
from miniprogram_api.models.staff import StaffAccount

SETTINGS = web.AppKey("settings", Settings)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeService)
REDIS = web.AppKey("redis", aioredis.Redis)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaClient)
CONVERSATIONS = web.AppKey("conversations", ConversationService)
STAFF = web.RequestKey("staff", StaffAccount)

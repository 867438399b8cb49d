"""Domain concepts: hand-written synonym lists that tag a message with what it talks about.

A thousand examples cannot show every way to say "flyer", "nota de voz" or "¿ya está?".
Tagging a message with concept tokens (``zzimage``, ``zzaudio``, ...) lets the classifier
learn one weight per concept instead of one per word, so an unseen synonym that is on a
list still counts. Patterns are prefixes on normalised text (lowercase, no accents), so
one entry covers inflections: ``factur`` matches factura, facturamos, facturación.
"""

from __future__ import annotations

import re

_CONCEPTS: dict[str, str] = {
    "sales": r"vend|venta|factur|ingreso|revenue|sales|sold|sell|turnover|ticket|margen|margin|"
    r"utilidad|ganancia|profit|pedido|orden(?:es)?\b|orders?\b|invoice|boleta|cliente|customer|"
    r"client|producto|product|sku|region|zona|sucursal|tienda|store|branch|vendedor|seller|"
    r"stock|inventari|inventory|unidades|units?\b|cobranza|kpi|comision|commission|cobr|"
    r"purchas|gasto|spend|presupuesto|budget|cartera|devolucion|return rate|returns|descuento|"
    r"discount|receivable|payable|cuentas por|deuda|overdue|vencid|provincia|state\b|ciudad|"
    r"city|linea|line\b|categoria|category|marca|brand|proveedor|supplier|almacen|warehouse",
    "period": r"ayer|hoy\b|antier|anteayer|semana|mes\b|meses|ano\b|anos\b|trimestre|yesterday|"
    r"today|week|month|year|quarter|q[1-4]\b|ytd|mtd|enero|febrero|marzo|abril|mayo|junio|julio|"
    r"agosto|septiembre|setiembre|octubre|noviembre|diciembre|january|february|march|april|"
    r"june|july|august|september|october|november|december|lunes|martes|miercoles|jueves|"
    r"viernes|sabado|domingo|monday|tuesday|wednesday|thursday|friday|saturday|sunday|20[0-9]{2}",
    "amount": r"cuant|how much|how many|total|sum|promedio|average|top\b|ranking|mejores|best|"
    r"peores|worst|crecimiento|growth|cayo|dropped|tasa|rate\b|porcentaje de|percentage of",
    "followup": r"^(?:y|and|what about|how about|what if|y si|ahora|now|solo|only|just)\b",
    "file": r"excel|exel|excell|exce\b|xlsx|xls\b|csv|archivo|fichero|files?\b|hoja|sheet|"
    r"spreadsheet|workbook|"
    r"planilla|adjunt|attach|upload|subi|cargu|tabla|dataset|listado|lista de|list of|"
    r"\.xlsx|\.csv|libro mayor|ledger|log\b|rota|maestro|master file|export(?:ed)? file",
    "clean": r"analiz|analis|analy|revis|review|limpi|clean|perfil|profil|duplicad|duplicat|"
    r"columna|"
    r"column|fila|rows?\b|celda|cells?\b|arregl|fix|normaliz|split|separa|vacio|empty|blank|"
    r"errores|errors|inconsisten|valida|check|chequea|que ves|what do you see|estructura|"
    r"trends?\b|tendencia|stats|estadistic|missing|faltan|marca en|flag|summary of|resumen de",
    "compare": r"compar|cruz|cross|reconcil|concili|diff|diferencia|difference|match|vs\b|"
    r"versus|coincid|cuadr|contrast|changed between|what changed|but not|y no en|no en el|"
    r"not in\b|against|contra\b|difier|tie (?:the|it|this)|line them up|lined up|que se movio|"
    r"what moved|vanish|desaparec|aparecen en|appear in|existan en|exist in|merge|junta",
    "two": r"\bdos\b|\btwo\b|ambos|both|\b2\b|\b3\b|tres|three|estos|these|entre|between|"
    r"con el de|with the|file a|file b|archivo a|archivo b|primer|first|segundo|second|"
    r"\band\b.*\bfiles|y el de|y la de",
    "document": r"pdf|reporte|reprote|report|informe|document|imprimi|print|descarga|download|"
    r"dossier|presentaci|slides?\b|export|deck|board|pack\b|layout|grafico|chart|word\b",
    "image": r"imagen|image|foto|photo|picture|\bpic|ilustraci|illustrat|banner|flyer|volante|"
    r"logo|dibuj|draw|disen|design|poster|afiche|portada|sticker|icono|icon|render|mockup|"
    r"thumbnail|miniatura|mascota|mascot|\barte?\b|artwork|visual|wallpaper|fondo de pantalla|"
    r"caricatura|cartoon|meme|infografi|tarjeta de presentacion|business card|postal|postcard|"
    r"post grafico|grafico para|graphic|historia de instagram|stories|estado de whatsapp|"
    r"whatsapp status|collage|pinta|paint|retrato|portrait|anime|3d",
    "audio": r"audio|transcri|trancri|grabaci|recording|grabe|grabamos|recorded|\bvoz\b|"
    r"voice note|nota de voz|llamada grabada|recorded call|podcast|entrevista|interview|dictado|"
    r"dictat|mp3|m4a|wav|ogg|oir|escuch|listen|subtitul|subtitle|contestador|answering machine|"
    r"voicemail|speech to text|que dice|what'?s it say|what does it say",
    "write": r"redact|escrib|writ|correo|e-?mail|\bmail|carta|letter|mensaje|message|\bpost\b|"
    r"publicaci|propuesta|proposal|guion|script para|script for|parafras|paraphras|reescrib|"
    r"rewrit|traduc|translat|corrig|proofread|resum|summar|texto|\btext|parrafo|paragraph|"
    r"articulo|article|blog|comunicado|anuncio|announc|minuta|minutes|acta\b|\bbio\b|slogan|"
    r"tagline|descripcion|description|tono|tone|suene|sound|faq|politica|policy|terminos|terms|"
    r"review|resena|cover letter|carta de presentacion|gramatica|grammar|ortografia|spelling|"
    r"edit|mejora|improve|improve|respond|responde|reply|caption|copy\b|pitch|speech|discurso",
    "status": r"\bya\b|listo|\blista\b|ready|termin|finish|\bdone\b|acab|status|estado|"
    r"progres|avance|falta|todavia|still|\byet\b|\beta\b|cuando|\bwhen\b|como va|como vamos|"
    r"sigue|procesando|processing|trab[oa]|stuck|demora|tarda|taking|espera|wait|pendiente|"
    r"pending|en que va|how long|how much longer|queue|cola\b|salio|complet|where'?s my|"
    r"donde esta mi|quedo|no llega|not here|haven'?t received|no me llega|cuanto (?:le )?queda|"
    r"halfway|porcentaje vas|went through|crash|colgo|a medias|avisame|let me know when|"
    r"where are we|going\?|running|en curso|tengo en curso|what jobs|mis tareas|my tasks|"
    r"lo que te pedi|what i asked|i asked|te pedi|where'?s it at",
    "help": r"ayuda|help|hlep|puedes hacer|can you do|funciona|how does|comando|command|"
    r"opcion|option|tutorial|guia|guide|manual|como te uso|como uso|how do i|how to|empiez|"
    r"empez|start|tips?\b|limite|limit|maxim|longest|largest|soport|support|conectad|connected|"
    r"modulo|module|disponible|available|capaz|able to|sabes|puedo subir|can i|que haces|"
    r"what do you|para que sirve|what'?s this bot|en que me sirves|ejemplos? de preguntas|"
    r"example questions|formato|format|se puede|is it possible|aceptas|do you (?:accept|support|"
    r"take)|app para|mobile app|como (?:te )?pido|how do i ask|como conecto|how do i connect|"
    r"hablas|do you speak|idioma|language|cancel|privacidad|privacy|used to train|allowed to",
    "ability": r"^(?:puedes|podes|sabes|se puede|can you|could you|do you|are you able|is it "
    r"possible|aceptas|lees|trabajas con|do you work with)\b.*(?:s\b|\?|o no)$|"
    r"\b(?:en general|in general|normalmente|usually)\b",
    "deictic": r"\b(?:este|esta|estos|estas|this|these|adjunt|attached|que te (?:mande|pase|"
    r"envie)|que (?:subi|te subi)|i (?:sent|uploaded|attached)|i just|le[ií] arriba|aqui|here)",
    "greet": r"^(?:hola|holi|ola\b|buenas|buenos|buen dia|hi\b|hello|helo|hey|ey\b|yo\b|gm\b|"
    r"saludos|good (?:morning|evening|afternoon)|afternoon|evening|que tal|estas ahi|"
    r"are you there|sup\b|wassup|what'?s up|howdy|greetings|quiubo|que onda|epale|wenas|alo\b|"
    r"como andas|que mas|ello|hi+\b|hel+o+\b|hol+a+\b|hiya|hullo|ke tal|q tal|que hubo|"
    r"quihubo|epa\b|alright|g'?day|bon dia|bom dia|knock knock|happy (?:monday|friday|"
    r"weekend)|feliz (?:lunes|viernes|dia|semana)|anyone (?:home|there)|hay alguien)",
    "thanks": r"gracias|thanks|thank|\bthx|\bty\b|^ok|okay|\bvale\b|\bdale\b|chao|chau|bye|"
    r"adios|genial|perfecto|cool|great|nice|excelente|super\b|jaja|haha|lol|nvm|never ?mind|"
    r"no era para ti|sounds good|de una|^listo\b|eso era todo|that'?s all|later\b|see you|"
    r"nos vemos|ya no necesito",
    "offtopic": r"clima|weather|forecast|pronostico|temperatura|temperature|futbol|football|"
    r"soccer|partido|\bgame\b|goles|goals|liga\b|league|yankees|pelicula|movie|receta|recipe|"
    r"chiste|joke|\bdios\b|\bgod\b|presidente|president|minist|gobierno|government|politic|"
    r"capital de|capital of|bitcoin|cripto|crypto|acciones de|stock for me|shares of|vuelo|"
    r"flight|hotel|restaurant|dieta|diet|peso rapido|lose weight|novia|novio|girlfriend|"
    r"boyfriend|horoscop|examen|exam|homework|tarea de|musica|music|cancion|song|videojuego|"
    r"netflix|pizza|cerveza|beer|margarita|cocktail|vacaciones|amor\b|\blove\b|medico|doctor|"
    r"dolor|pain|presion|blood pressure|heart rate|abogado|lawyer|hack|trampa|cheat|apuesta|"
    r"loteria|planeta|planet|luna|moon|jupiter|everest|anos tiene|how old is|edad de|"
    r"shakira|famoso|famous|sentido de la vida|meaning of life|guerra|war\b|ww2|historia de|"
    r"entradas para|tickets? for|concierto|concert|zapatillas|shoes|ropa|clothes|aeropuerto|"
    r"airport|trafico|traffic|como llego|how do i get to|css|html|react|javascript|python|"
    r"java\b|programa|program that|codigo|\bcode\b|compile|tonto|stupid|inutil|useless|idiota|"
    r"hungry|hambre|bored|aburr|feelings|sentimientos|real person|persona real|aumento|"
    r"\braise\b|jefe se|my boss|matematica|math|tesla|apple\b|amazon\b|cusco|fin de semana en",
    # Everyday life and general knowledge: what a colleague, not the company's systems, answers.
    "lifeworld": r"ibuprofen|paracetamol|aspirin|pastilla|pill\b|medicin|gripe|\bflu\b|resfri|"
    r"\bcold\b|tos\b|cough|diente|muela|tooth|dentist|sleep|dormir|caloria|calorie|gym\b|"
    r"gimnasio|ejercicio|exercise|embaraz|pregnan|sick|enferm|altitud|soroche|contractura|"
    r"visa\b|pasaporte|passport|propina|\btip\b|\btips? in|trip\b|viaje|turis|tourist|tren\b|"
    r"train to|by train|playa|beach|machu picchu|museo|museum|tomate|tomato|jardin|garden|"
    r"planta(?:s)? de casa|houseplant|maceta|\bpots?\b|cocin|cook|brisket|asado|parrilla|bbq|"
    r"hornear|bake|wine\b|mancha|stain|camisa|shirt|llanta|tire|tyre|\bcar\b|carro\b|auto\b|"
    r"religio|pecado|\bsin\b|iglesia|church|misa\b|cuaresma|lent\b|easter|pascua|navidad|"
    r"christmas|horoscopo|signo|star sign|zodiac|retrograd|agujero negro|black hole|universo|"
    r"universe|planetas|huesos|bones|cuerpo humano|human body|dinosaur|volcan|terremoto|"
    r"sismo|earthquake|cubismo|barroco|renacimiento|gothic|romanesque|architecture|arquitectura|"
    r"pint[oó] |painted|escribio|who wrote|novela|novel\b|poema|poem|filosof|philosoph|"
    r"historia del|history of|imperio|empire|mundial|world cup|eliminatoria|olimpi|olympic|"
    r"boca|river\b|real madrid|barca|man u|nba|nfl|pickleball|tenis|tennis|golf|salsa\b|"
    r"bailar|dance|jazz|rock\b|regalo|present for|gift for|secret santa|amigo secreto|"
    r"cumpleanos de mi|my (?:wife|husband|son|daughter|kid|mom|dad)|mi (?:esposa|esposo|"
    r"hijo|hija|mama|papa|sobrino|suegra)|personal|mi casa|my house|mascota de casa|perro|\bdog\b|"
    r"gato\b|\bcat\b|dmv|post office|correo postal|oficina de correos|muni\b|tramite|"
    r"impuestos personales|personal tax|hipoteca|mortgage|credit card|tarjeta de credito|"
    r"what does \S+ mean|que significa la palabra|como se dice|how do you say|idioma ingles|"
    r"learn english|aprender ingles|arduino|scrape|truco|trick|magia|magic",
    # Questions about the bot as a being rather than as a tool.
    "botself": r"are you (?:conscious|alive|real|human|religious|happy|tired|a person)|"
    r"do you (?:like|love|ever|have feelings|dream|sleep|eat|get tired)|te gusta|eres (?:real|"
    r"humano|feliz|consciente)|tienes (?:sentimientos|novia|novio|hambre)|who made you|"
    r"quien te (?:hizo|creo)|where do you live|donde vives|if you were|si fueras|your favou?rite|"
    r"tu (?:comida|color|pelicula) favorit|sabes (?:bailar|cantar|cocinar)|can you (?:dance|sing)",
    # The platform as a product: account, plans, settings, integrations, where things are.
    "platform": r"menu\b|funciones|features?\b|capabilit|capacidades|settings|configuraci|ajustes|"
    r"atajo|shortcut|historial|history\b|chat history|mis chats|my chats|plan\b|planes|licencia|"
    r"license|seat\b|asiento|suscripci|subscription|precio del (?:plan|servicio)|pricing|"
    r"creditos|credits|version gratis|free (?:version|trial)|prueba gratis|login|contrasena|"
    r"password|usuario nuevo|new user|invit|permis|permission|role\b|rol\b|integra|vincul|"
    r"enchuf|conecta|plug(?:ged)? in|hooked up|sincroniz|sync|api\b|webhook|erp\b|app\b|"
    r"iphone|android|celular|movil|mobile|safari|chrome|navegador|browser|sidebar|barra|icono|"
    r"icon|boton|button|pantalla|screen|quick ?start|tour\b|rundown|onboarding|primeros pasos|"
    r"que significa|what does .* mean|seguro pasarte|safe to|confidencial|confidential|"
    r"who (?:else )?can see|quien (?:mas )?(?:puede ver|ve)|borr|delete my|undo|deshacer|"
    r"plantillas?|templates?|cargad[ao]|loaded|tienes cargad|do you have .* loaded|"
    r"meant for me|useful for me|me sirves|sirve para|sirve pa",
    # A reference back to something the user already asked for: a status question's anchor.
    "prior": r"lo mio|what about mine|and mine|y lo de|y el de|y la de|lo que te (?:pedi|encargue|"
    r"mande)|(?:the|that) (?:thing|job|one) (?:from|i)|any (?:news|update|result)|novedad|"
    r"en que quedo|got a result|any results|se (?:proceso|genero|completo|hizo|cancelo|colgo)|"
    r"te llego|did (?:it|you|the|my)\b|has the|have you|nearly there|almost done|long way|"
    r"never (?:arrived|came)|nunca llego|no aparece|not showing|nothing showing|went quiet|"
    r"hung\b|se trabo|fall[oó]|failed|\berror\b|broke|se rompio|resend|reenvia(?:me)? el link|"
    r"sorted\b|lista(?:s)? ya|ya (?:esta|estan|quedo|salio|cruzaste|terminaste)|avanzaste|"
    r"how far|que tanto|which step|en que paso|where'?s it|donde quedo",
}

CONCEPT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"(?:^|\b)(?:{pattern})")) for name, pattern in _CONCEPTS.items()
)


WORK_CONCEPTS = frozenset(
    {
        "sales",
        "file",
        "document",
        "image",
        "audio",
        "write",
        "status",
        "help",
        "compare",
        "platform",
        "prior",
    }
)


def concept_tokens(normalized: str) -> list[str]:
    """``zz<concept>`` for every concept the (normalised) message mentions.

    ``zznowork`` marks a message that mentions none of the things the platform works
    with: the strongest single hint that it is out of scope.
    """
    found = [name for name, pattern in CONCEPT_PATTERNS if pattern.search(normalized)]
    tokens = [f"zz{name}" for name in found]
    if WORK_CONCEPTS.isdisjoint(found):
        tokens.append("zznowork")
    return tokens


def with_concepts(normalized: str) -> str:
    tokens = concept_tokens(normalized)
    return f"{normalized} {' '.join(tokens)}" if tokens else normalized

#include "json.h"

cJSON *sess_json_parse(const char *text)
{
	return cJSON_ParseWithOpts(text, NULL, 1);
}

const char *sess_json_near(void)
{
	const char *p = cJSON_GetErrorPtr();

	return p ? p : "";
}
